// The layer rules (.dependency-cruiser.mjs) catch what they are for: an import pointing up, a cycle
// of type-only imports, the mock started from below app/, the API calling the command, each planted in a scratch tree laid out
// like the repository's. `npm run layers` (in `npm test`) checks the repository itself.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEPCRUISE = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const scratch = mkdtempSync(join(tmpdir(), 'layers-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function tree(name: string, files: Record<string, string>): string {
  const dir = join(scratch, name);
  const all = { 'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }), ...files };
  for (const [file, text] of Object.entries(all)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return dir;
}
const cruise = (cwd: string, folders: string[]) =>
  spawnSync(process.execPath, [DEPCRUISE, '--config', join(ROOT, '.dependency-cruiser.mjs'), ...folders], { cwd, encoding: 'utf8' });

describe('layers', () => {
  test('a planted upward import fails, naming the rule and the arrow', () => {
    const dir = tree('up', {
      'app/cli.ts': "import { EXIT } from '../core/errors.js';\nexport const main = () => EXIT;\n",
      'core/errors.ts': "import type { Report } from '../reporters/model.js';\nexport const EXIT = 0;\nexport type R = Report;\n",
      'reporters/model.ts': 'export interface Report { ok: boolean }\n',
    });
    const r = cruise(dir, ['app', 'core', 'reporters']);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toMatch(/error core-is-the-bottom: core\/errors\.ts → reporters\/model\.ts/);
  });

  test('a planted cycle of type-only imports fails', () => {
    const dir = tree('cycle', {
      'core/config.ts': "import type { Profile } from './targets.js';\nexport type KeyRole = 'valid';\nexport const profile: Profile | undefined = undefined;\n",
      'core/targets.ts': "import type { KeyRole } from './config.js';\nexport type Profile = 'direct';\nexport const role: KeyRole | undefined = undefined;\n",
    });
    const r = cruise(dir, ['core']);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toMatch(/error no-circular: core\/(config|targets)\.ts/);
  });

  test('the mock is started by app/ only', () => {
    const dir = tree('mock', {
      'suites/support.ts': "import { startMock } from '../mock/server.js';\nexport const start = startMock;\n",
      'mock/server.ts': 'export const startMock = () => 0;\n',
    });
    const r = cruise(dir, ['suites', 'mock']);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toMatch(/error (mock-from-app-only|suites-below-app): suites\/support\.ts → mock\/server\.ts/);
  });

  test('the API does not call the command', () => {
    const dir = tree('api', {
      'app/index.ts': "import { execute } from './command.js';\nexport const runConformance = execute;\n",
      'app/command.ts': 'export const execute = () => 0;\n',
    });
    const r = cruise(dir, ['app']);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toMatch(/error api-below-command: app\/index\.ts → app\/command\.ts/);
  });
});
