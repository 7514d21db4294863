// What dist/ is built from, as one sha256: scripts/build.mjs writes it beside the build, and the
// tests' global setup (test/global-setup.ts) builds again only when it differs.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const DIRS = ['app', 'core', 'mock', 'suites', 'reporters'];
const FILES = ['spec/openapi.yaml', 'spec/checks.json', 'spec/checks.schema.json', 'targets.json', 'targets.schema.json', 'config.schema.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts/build.mjs', 'scripts/build-inputs.mjs', 'package.json', 'package-lock.json'];
export const STAMP = '.inputs-sha256';

export function inputsSha256(root) {
  const hash = createHash('sha256');
  const files = [...DIRS.flatMap((d) => readdirSync(join(root, d), { recursive: true, withFileTypes: true }).filter((f) => f.isFile()).map((f) => relative(root, join(f.parentPath, f.name)))), ...FILES].sort();
  for (const file of files) hash.update(`${file}\0`).update(readFileSync(join(root, file))).update('\0');
  return hash.digest('hex');
}
