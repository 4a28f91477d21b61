#!/usr/bin/env node
/**
 * `npm test`: compiles src, libs and test with tsc, then runs every unit spec, service suite and e2e
 * suite on Node's test runner. Service suites (`test/service/*.service-spec.ts`: services on the real
 * database, no HTTP) and e2e suites need PostgreSQL: DATABASE_URL when set (each suite creates its own
 * database there), otherwise an embedded PostgreSQL started here for the run. Suites that need Redis
 * (`*.redis.e2e-spec.ts`) run when REDIS_URL is set and are skipped, with the reason, when it is not
 * (in CI a missing REDIS_URL is an error).
 *
 *   npm test                                everything
 *   npm test -- --unit | --service | --e2e  only those kinds (they combine)
 *   npm test -- groups messages             only files whose path contains one of the words
 */
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const crypto = require('node:crypto');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const kinds = ['--unit', '--service', '--e2e'].filter((kind) => args.includes(kind));
const wants = (kind) => kinds.length === 0 || kinds.includes(kind);
const filters = args.filter((a) => !a.startsWith('--'));

function log(line) {
  process.stdout.write(`[test] ${line}\n`);
}

function walk(dir, suffix, out = []) {
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, suffix, out);
    else if (entry.name.endsWith(suffix)) out.push(full);
  }
  return out;
}

/**
 * tsc -p tsconfig.test.json, plus the @nestjs/swagger compiler plugin configured in nest-cli.json, so
 * the OpenAPI document the e2e tests serve is the one production serves. Returns false on errors.
 */
function compileTests() {
  const ts = require('typescript');
  const swaggerPlugin = require('@nestjs/swagger/plugin');
  const nestCli = JSON.parse(fs.readFileSync(path.join(root, 'nest-cli.json'), 'utf8'));
  const pluginOptions = (nestCli.compilerOptions.plugins || []).find((p) => p.name === '@nestjs/swagger').options;
  const formatHost = {
    getCanonicalFileName: (name) => name,
    getCurrentDirectory: () => root,
    getNewLine: () => '\n',
  };
  const parsed = ts.getParsedCommandLineOfConfigFile(path.join(root, 'tsconfig.test.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => process.stderr.write(ts.formatDiagnostic(d, formatHost)),
  });
  if (!parsed) return false;
  const program = ts.createIncrementalProgram({
    rootNames: parsed.fileNames,
    options: parsed.options,
    projectReferences: parsed.projectReferences,
    configFileParsingDiagnostics: parsed.errors,
  });
  // Type-check incrementally, but emit every file: a plain `tsc -p tsconfig.test.json` (docs:asyncapi)
  // shares the build folder and would otherwise leave files compiled without the plugin behind.
  const diagnostics = [
    ...program.getConfigFileParsingDiagnostics(),
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...program.getSyntacticDiagnostics(),
    ...program.getSemanticDiagnostics(),
  ];
  const emitted = program.getProgram().emit(undefined, undefined, undefined, false, {
    before: [swaggerPlugin.before(pluginOptions, program.getProgram())],
  });
  program.emitBuildInfo();
  diagnostics.push(...emitted.diagnostics);
  if (diagnostics.length) {
    process.stderr.write(ts.formatDiagnosticsWithColorAndContext(diagnostics, formatHost));
  }
  return !diagnostics.some((d) => d.category === ts.DiagnosticCategory.Error);
}

async function main() {
  const build = path.join(root, '.test-build');
  log('compiling tsconfig.test.json with the Swagger plugin of nest-cli.json (as `npm run build` does)');
  if (!compileTests()) {
    process.exit(1);
  }

  let files = [];
  if (wants('--unit')) {
    files.push(...walk(path.join(build, 'src'), '.spec.js'), ...walk(path.join(build, 'libs'), '.spec.js'));
  }
  if (wants('--service')) {
    files.push(...walk(path.join(build, 'test/service'), '.service-spec.js'));
  }
  if (wants('--e2e')) {
    files.push(...walk(path.join(build, 'test'), '.e2e-spec.js'));
  }
  if (filters.length) {
    files = files.filter((file) => filters.some((word) => path.relative(build, file).includes(word)));
  }

  const env = { ...process.env, NODE_ENV: 'test' };
  // With DATABASE_URL the app's env validation wants JWT_SECRET (production mode) as soon as the app
  // module is imported; each test app then boots with the suites' own test secret.
  env.JWT_SECRET ??= crypto.randomBytes(32).toString('hex');
  const redisSuites = files.filter((file) => file.endsWith('.redis.e2e-spec.js'));
  if (redisSuites.length && !process.env.REDIS_URL) {
    if (process.env.CI) {
      log('REDIS_URL is not set but CI is: the Redis suites must run in CI');
      process.exit(1);
    }
    for (const file of redisSuites) {
      log(`SKIPPED ${path.relative(build, file)}: needs Redis and REDIS_URL is not set`);
    }
    files = files.filter((file) => !redisSuites.includes(file));
  }

  let embedded = null;
  const needsDatabase = files.some(
    (file) => file.endsWith('.e2e-spec.js') || file.endsWith('.service-spec.js'),
  );
  if (needsDatabase && !process.env.DATABASE_URL) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'messaging-test-'));
    fs.chmodSync(dataDir, 0o755);
    log(`DATABASE_URL is not set: starting an embedded PostgreSQL in ${dataDir}`);
    const { startEmbeddedPostgres } = require(path.join(build, 'src/database/embedded-postgres.js'));
    embedded = await startEmbeddedPostgres({ dataDir, settings: { fsync: 'off', synchronous_commit: 'off' } });
    embedded.dataDir = dataDir;
    env.DATABASE_URL = embedded.url;
  } else if (needsDatabase) {
    log('service and e2e suites use the PostgreSQL server at DATABASE_URL (one fresh database per suite)');
  }
  env.TEST_DATABASE_URL = env.DATABASE_URL ?? '';

  if (!files.length) {
    log('no test files matched');
    process.exit(1);
  }
  log(`running ${files.length} file(s)`);
  const concurrency = process.env.TEST_CONCURRENCY ?? '2';
  const child = spawn(
    process.execPath,
    ['--enable-source-maps', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
    { cwd: root, env, stdio: 'inherit' },
  );
  const code = await new Promise((resolve) => child.on('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0))));
  if (embedded) {
    await embedded.stop().catch(() => undefined);
    fs.rmSync(embedded.dataDir, { recursive: true, force: true });
  }
  process.exit(code);
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : String(error)}\n`);
  process.exit(1);
});
