// The bundled spec's response validators are compiled at build time (scripts/build.mjs, ajv's
// standalone code) and used by a run from dist/ when the spec's sha256 matches; any other spec is
// compiled at run time. Both must judge every body alike.
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';
import { ROOT } from './helpers.js';

type SpecModule = typeof import('../core/spec.js');
const built = (await import(pathToFileURL(join(ROOT, 'dist/core/spec.js')).href)) as SpecModule;

describe('response validators', () => {
  test('the bundled spec: the build-time validators judge every documented example, and broken ones, as the run-time ones do', async () => {
    const contract = await built.loadContract();
    expect(existsSync(built.prebuiltValidatorsFile(contract.sha256))).toBe(true);
    // the run-time path: the same contract under a sha256 the build compiled nothing for
    const prebuilt = built.schemaValidators(contract);
    const compiled = built.schemaValidators({ ...contract, sha256: 'not-built' });
    let judged = 0;
    for (const op of contract.operations)
      for (const [status, r] of Object.entries(op.responses)) {
        if (!r.schema) continue;
        const a = prebuilt(op.operationId, status);
        const b = compiled(op.operationId, status);
        expect(a).not.toBe(b);
        for (const body of [r.example, {}, { ok: 'yes' }, { ok: false, error: 7 }, { ok: true, directories: {} }, null, [], 'text', { ...(r.example as object), extra: [1, { deep: true }] }]) {
          expect([a(body), a.errors ?? null]).toEqual([b(body), b.errors ?? null]);
          judged++;
        }
      }
    expect(judged).toBeGreaterThan(50);
  });

  test('another spec (a copy elsewhere with other bytes) is compiled at run time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'validators-'));
    copyFileSync(join(ROOT, 'spec/openapi.yaml'), join(dir, 'openapi.yaml'));
    appendFileSync(join(dir, 'openapi.yaml'), '\n# another spec\n');
    const contract = await built.loadContract(join(dir, 'openapi.yaml'), { cacheDir: dir });
    expect(existsSync(built.prebuiltValidatorsFile(contract.sha256))).toBe(false);
    const validator = built.schemaValidators(contract)('listDirectories', '200');
    expect(validator({ ok: true, directories: [] })).toBe(true);
    expect(validator({ ok: true, directories: {} })).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });
});
