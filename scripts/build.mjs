// `npm run build` (and `prepare`, so `npm ci` builds on a fresh clone): compiles the command, the
// suites and the reporters to dist/ and copies beside them the data files they read at run time,
// at the same relative places (dist/spec/openapi.yaml, dist/targets.json, ...).
import { execFileSync } from 'node:child_process';
import process from 'node:process';
import { copyFileSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL, URL } from 'node:url';
import { inputsSha256, STAMP } from './build-inputs.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');
// Built aside, then swapped in whole: a command running from dist/ meanwhile never meets half of it.
const next = join(ROOT, `dist.${process.pid}`);
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', next], { stdio: 'inherit' });
for (const file of ['spec/openapi.yaml', 'targets.json', 'targets.schema.json', 'reporters/report.schema.json']) {
  mkdirSync(dirname(join(next, file)), { recursive: true });
  copyFileSync(join(ROOT, file), join(next, file));
}
// The bundled spec validated now, its contract kept by sha256 beside it (src/spec.ts loadContract):
// a run of the bundled spec starts without swagger-parser.
const { loadContract } = await import(pathToFileURL(join(next, 'src/spec.js')).href);
await loadContract(join(next, 'spec/openapi.yaml'), { cacheDir: join(next, 'spec/validated') });
writeFileSync(join(next, STAMP), `${inputsSha256(ROOT)}\n`); // what it was built from (scripts/build-inputs.mjs)
rmSync(DIST, { recursive: true, force: true });
renameSync(next, DIST);
