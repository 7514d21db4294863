// Builds dist/ once before the tests: they spawn the built command, as `npm run conformance` and
// an installed package run it. The tests' temporary directories go under one root, removed after.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup(): () => void {
  execFileSync(process.execPath, [fileURLToPath(new URL('../scripts/build.mjs', import.meta.url))], { stdio: 'inherit' });
  const root = mkdtempSync(join(tmpdir(), 'ffmpeg-api-conformance-tests-'));
  chmodSync(root, 0o755); // traversable by nginx's unprivileged workers (test/nginx.test.ts); each directory in it is still 0700
  process.env.CONFORMANCE_TEST_TMP = root; // the test workers inherit it (test/helpers.ts tempDir)
  return () => rmSync(root, { recursive: true, force: true });
}
