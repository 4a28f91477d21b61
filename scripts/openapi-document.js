#!/usr/bin/env node
/**
 * Writes the OpenAPI document the server would serve at /docs-json, without starting the server or
 * touching a database: the compiled AppModule is created in Nest's preview mode (modules and routes
 * are scanned, no provider is instantiated, so no PostgreSQL, Redis or JWT secret is needed).
 *
 *   node scripts/openapi-document.js [buildDir] [outFile]
 *     buildDir  dist (npm run build: with the Swagger CLI plugin, what production serves; default)
 *               or .test-build (tsc -p tsconfig.test.json: no plugin, what the e2e tests serve)
 *     outFile   default: <buildDir>/openapi.json
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

async function main() {
  const root = path.resolve(__dirname, '..');
  const buildDir = path.resolve(root, process.argv[2] || 'dist');
  const outFile = path.resolve(root, process.argv[3] || path.join(buildDir, 'openapi.json'));
  require('reflect-metadata');
  const { NestFactory } = require('@nestjs/core');
  const { AppModule } = require(path.join(buildDir, 'src/app.module.js'));
  const { buildOpenApiDocument, API_PREFIX, API_PREFIX_EXCLUDE } = require(
    path.join(buildDir, 'src/app.setup.js'),
  );
  const app = await NestFactory.create(AppModule, { preview: true, logger: false, abortOnError: false });
  app.setGlobalPrefix(API_PREFIX, { exclude: API_PREFIX_EXCLUDE });
  const document = buildOpenApiDocument(app);
  fs.writeFileSync(outFile, `${JSON.stringify(document, null, 2)}\n`);
  process.stdout.write(`OpenAPI document written to ${path.relative(root, outFile)}\n`);
  await app.close().catch(() => undefined);
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : String(error)}\n`);
  process.exit(1);
});
