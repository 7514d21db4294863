// `npm run build` (and `prepack`, so the tarball ships dist/ and its consumers build nothing):
// compiles the command, the suites and the reporters to dist/ and copies beside them the data files
// they read at run time, at the same relative places (dist/spec/openapi.yaml, dist/targets.json, ...).
// With --if-stale (npm run conformance, npm run mock) it builds only when dist/ is not the build of
// these sources.
import { execFileSync } from 'node:child_process';
import process from 'node:process';
import { copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL, URL } from 'node:url';
import { inputsSha256, STAMP } from './build-inputs.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');
if (process.argv.includes('--if-stale')) {
  let built;
  try {
    built = readFileSync(join(DIST, STAMP), 'utf8').trim();
  } catch {
    built = undefined;
  }
  if (built === inputsSha256(ROOT)) process.exit(0);
}
// Built aside, then swapped in whole: a command running from dist/ meanwhile never meets half of it.
const next = join(ROOT, `dist.${process.pid}`);
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', next], { stdio: 'inherit' });
for (const file of ['spec/openapi.yaml', 'spec/checks.json', 'spec/checks.schema.json', 'targets.json', 'targets.schema.json', 'config.schema.json', 'reporters/report.schema.json']) {
  mkdirSync(dirname(join(next, file)), { recursive: true });
  copyFileSync(join(ROOT, file), join(next, file));
}
// The HTML report's browser script (reporters/browser/html-view.ts), compiled to the text that
// reporters/html.ts inlines (and allows by its hash).
const ts = createRequire(import.meta.url)('typescript');
const view = readFileSync(join(ROOT, 'reporters/browser/html-view.ts'), 'utf8');
writeFileSync(join(next, 'reporters/html-view.js'), ts.transpileModule(view, { compilerOptions: { target: ts.ScriptTarget.ES2022, removeComments: true } }).outputText);
// The bundled spec validated now, its contract kept by sha256 beside it (core/spec.ts loadContract):
// a run of the bundled spec starts without swagger-parser.
const { loadContract } = await import(pathToFileURL(join(next, 'core/spec.js')).href);
const contract = await loadContract(join(next, 'spec/openapi.yaml'), { cacheDir: join(next, 'spec/validated') });
// Its response validators compiled now, as one ES module of ajv's standalone code (core/spec.ts
// schemaValidators uses it when the spec's sha256 matches): a run compiles no schema.
{
  const { prebuiltValidatorsFile, VALIDATOR_OPTIONS } = await import(pathToFileURL(join(next, 'core/spec.js')).href);
  const { Ajv2020 } = await import('ajv/dist/2020.js');
  const { default: addFormats } = await import('ajv-formats');
  const { default: standaloneCode } = await import('ajv/dist/standalone/index.js');
  const ajv = new Ajv2020({ ...VALIDATOR_OPTIONS, code: { source: true, esm: true } });
  addFormats(ajv);
  const ids = new Map(); // schema text → export name: the operations share their error schemas
  const responses = [];
  for (const op of contract.operations)
    for (const [status, r] of Object.entries(op.responses)) {
      if (!r.schema) continue;
      const text = JSON.stringify(r.schema);
      if (!ids.has(text)) ajv.addSchema(r.schema, ids.set(text, `s${ids.size}`).get(text));
      responses.push(`${JSON.stringify(`${op.operationId} ${status}`)}: ${ids.get(text)}`);
    }
  const code = standaloneCode(ajv, Object.fromEntries([...ids.values()].map((id) => [id, id])));
  // The standalone ESM still require()s ajv's runtime helpers and the formats: a require of its own.
  const module = `import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\n${code}\nexport const responses = { ${responses.join(', ')} };\n`;
  writeFileSync(prebuiltValidatorsFile(contract.sha256), module); // beside the spec being built (next/spec/)
}
writeFileSync(join(next, STAMP), `${inputsSha256(ROOT)}\n`); // what it was built from (scripts/build-inputs.mjs)
rmSync(DIST, { recursive: true, force: true });
renameSync(next, DIST);
