// Builds dist/ before the tests, unless it is already the build of these sources: the tests run the
// built command, as `npm run conformance` and an installed package run it. The tests' temporary
// directories go under one root, removed after.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inputsSha256, STAMP } from '../scripts/build-inputs.mjs';

export default function setup(): () => void {
  // Built again unless dist/ is the build of these very sources (npm ci's prepare built it, say).
  const root = fileURLToPath(new URL('..', import.meta.url));
  const built = (() => {
    try {
      return readFileSync(join(root, 'dist', STAMP), 'utf8').trim();
    } catch {
      return undefined;
    }
  })();
  if (built !== inputsSha256(root)) execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
  const temp = mkdtempSync(join(tmpdir(), 'ffmpeg-api-conformance-tests-'));
  chmodSync(temp, 0o755); // traversable by nginx's unprivileged workers (test/nginx.test.ts); each directory in it is still 0700
  process.env.CONFORMANCE_TEST_TMP = temp; // the test workers inherit it (test/helpers.ts tempDir)
  return () => rmSync(temp, { recursive: true, force: true });
}
