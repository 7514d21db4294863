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
for (const file of ['spec/openapi.yaml', 'targets.json', 'targets.schema.json', 'config.schema.json', 'reporters/report.schema.json']) {
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
await loadContract(join(next, 'spec/openapi.yaml'), { cacheDir: join(next, 'spec/validated') });
writeFileSync(join(next, STAMP), `${inputsSha256(ROOT)}\n`); // what it was built from (scripts/build-inputs.mjs)
rmSync(DIST, { recursive: true, force: true });
renameSync(next, DIST);
