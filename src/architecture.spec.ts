import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { expect } from 'expect';

/** The repository's src/ (this spec runs compiled from .test-build/src). */
const SRC = resolve(__dirname, '..', '..', 'src');
/** Infrastructure: imports no feature module. */
const INFRASTRUCTURE = ['common', 'config', 'database'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      return sourceFiles(full);
    }
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [full] : [];
  });
}

/** Relative imports of each file (type-only ones included), resolved to src-relative paths. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    const targets: string[] = [];
    for (const match of text.matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
      const target = relative(SRC, resolve(dirname(file), match[1]));
      if (!target.startsWith('..')) {
        targets.push(`${target}.ts`);
      }
    }
    graph.set(relative(SRC, file), targets);
  }
  return graph;
}

function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | null => {
    if (state.get(node) === 'done') {
      return null;
    }
    if (state.get(node) === 'visiting') {
      return [...path.slice(path.indexOf(node)), node];
    }
    state.set(node, 'visiting');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) {
        return cycle;
      }
    }
    path.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) {
      return cycle;
    }
  }
  return null;
}

const topFolder = (path: string): string => path.split('/')[0];

/**
 * SQL lives in `*.repository.ts` files only. Folders not yet moved to repositories are listed here;
 * delete a folder's line once its SQL is in repositories, and the check covers it.
 */
const SQL_OUTSIDE_REPOSITORIES_PENDING: string[] = [];
/** Files that must run SQL themselves, with the reason. */
const SQL_OUTSIDE_REPOSITORIES_ALLOWED: Record<string, string> = {
  'database/migrations/': 'migrations are SQL by nature',
  'database/migrate.ts': 'runs the migrations and takes their advisory lock',
  'database/database-probe.ts': "the health probe's one count; src/database imports no feature",
  'database/pool-warm-up.ts': "runs the migrations' group-commit function once per new connection",
};
/** A file longer than this no longer reads in one sitting: split it by responsibility. */
const MAX_SOURCE_LINES = 400;
const RAW_SQL = /\.query\s*[(<]|createQueryBuilder/;

describe('architecture', () => {
  const graph = importGraph();

  it('should have no import cycle in src', () => {
    expect(findCycle(graph)).toBeNull();
  });

  it('should keep src/common, src/config and src/database free of feature imports', () => {
    const wrong = [...graph].flatMap(([file, targets]) =>
      INFRASTRUCTURE.includes(topFolder(file))
        ? targets
            .filter((target) => target.includes('/'))
            .filter((target) => !INFRASTRUCTURE.includes(topFolder(target)))
            .filter((target) => !(topFolder(file) === 'database' && target.includes('/entities/')))
            .map((target) => `${file} -> ${target}`)
        : [],
    );
    expect(wrong).toEqual([]);
  });

  it('should keep feature modules from importing the realtime edge', () => {
    const wrong = [...graph].flatMap(([file, targets]) =>
      file.includes('/') && !['realtime', 'cluster'].includes(topFolder(file))
        ? targets.filter((t) => topFolder(t) === 'realtime').map((t) => `${file} -> ${t}`)
        : [],
    );
    expect(wrong).toEqual([]);
  });

  it('should have no runtime require() and no non-strict module lookups in src', () => {
    const wrong = sourceFiles(SRC).filter((file) =>
      /(^|[^.\w$])require\(\s*['"]|strict:\s*false/.test(readFileSync(file, 'utf8')),
    );
    expect(wrong.map((file) => relative(SRC, file))).toEqual([]);
  });

  it('should run SQL (.query, createQueryBuilder) only in *.repository.ts files', () => {
    const wrong = sourceFiles(SRC)
      .map((file) => relative(SRC, file))
      .filter((file) => !file.endsWith('.repository.ts'))
      .filter((file) => !SQL_OUTSIDE_REPOSITORIES_PENDING.includes(topFolder(file)))
      .filter(
        (file) => !Object.keys(SQL_OUTSIDE_REPOSITORIES_ALLOWED).some((p) => file.startsWith(p)),
      )
      .filter((file) => RAW_SQL.test(readFileSync(join(SRC, file), 'utf8')));
    expect(wrong).toEqual([]);
  });

  it(`should keep every src file at most ${MAX_SOURCE_LINES} lines`, () => {
    const long = sourceFiles(SRC)
      .map((file) => ({
        file: relative(SRC, file),
        lines: readFileSync(file, 'utf8').split('\n').length,
      }))
      .filter(({ lines }) => lines > MAX_SOURCE_LINES)
      .map(({ file, lines }) => `${file}: ${lines} lines`);
    expect(long).toEqual([]);
  });
});
