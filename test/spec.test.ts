// The contract itself: valid OpenAPI 3.1, every schema compiles, every example validates (the
// rules every spec must keep, quotes and clause coverage among them, are in spec-lint.test.ts).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { describe, expect, test } from 'vitest';
import { buildCatalog, variants } from '../suites/catalog.js';
import { JUDGES } from '../suites/judges.js';
import { DEFAULT_SPEC, documentedErrorTexts, loadContract, roleOperation, schemaValidators } from '../core/spec.js';
import { ROOT } from './helpers.js';

const contract = await loadContract();
const catalog = buildCatalog(contract);
const SOURCES = join(ROOT, 'spec/sources');

describe('spec/openapi.yaml', () => {
  test("names every operation of public-api-facts.md; only the reading ones are safe", () => {
    expect(contract.operations.map((o) => `${o.method} ${o.path}`).sort()).toEqual([
      'GET /directory',
      'GET /directory/{dirId}',
      'POST /directory',
      'POST /ffmpeg/process',
      'POST /ffmpeg/run',
      'POST /file',
    ]);
    expect(contract.operations.filter((o) => !o.writes).map((o) => o.operationId).sort()).toEqual(['listDirectories', 'listFiles']);
    expect(contract.operations.find((o) => o.operationId === 'runCommand')).toMatchObject({ deprecated: true, requestBody: { mediaType: 'multipart/form-data' } });
  });

  test('every documented example validates against its response schema', async () => {
    const doc = (await SwaggerParser.dereference(DEFAULT_SPEC)) as unknown as { paths: Record<string, Record<string, { operationId: string; responses: Record<string, { content: Record<string, { examples: Record<string, { value: unknown }> }> }> }>> };
    const validator = schemaValidators(contract);
    let count = 0;
    for (const item of Object.values(doc.paths))
      for (const op of Object.values(item))
        for (const [status, r] of Object.entries(op.responses))
          for (const [name, ex] of Object.entries(r.content['application/json']!.examples)) {
            const v = validator(op.operationId, status);
            expect(v(ex.value), `${op.operationId} ${status} example ${name}: ${JSON.stringify(v.errors)}`).toBe(true);
            count++;
          }
    expect(count).toBeGreaterThanOrEqual(17);
  });

  test('the error schemas carry the exact documented messages', () => {
    const v = schemaValidators(contract);
    expect(v('listDirectories', '401')({ ok: false, error: 'Invalid API key' })).toBe(true);
    expect(v('listDirectories', '401')({ ok: false, error: 'Invalid API Key' })).toBe(false);
    expect(v('createFile', '400')({ ok: false, error: 'Missing Authorization header', extra: 1 })).toBe(true);
    expect(v('createFile', '403')({ ok: true, error: 'Quota exceeded' })).toBe(false);
  });

  test('the documented error texts are the ones the error schemas fix, not an example\'s (the report carries them)', () => {
    expect(documentedErrorTexts(contract)).toEqual(['Invalid API key', 'Missing Authorization header', 'Quota exceeded']);
  });

  test('conflicting clauses say which reading the suite enforces', () => {
    for (const c of contract.clauses.filter((c) => c.conflict)) expect(c.reading, c.id).toBeTruthy();
    expect(contract.clauses.filter((c) => c.conflict).map((c) => c.id)).toEqual(
      expect.arrayContaining(['auth.prefix.scheme-case', 'auth.whitespace.extra-spaces', 'auth.whitespace.ows', 'auth.header-name']),
    );
  });

  test('the vendored sources are the shared contract, word for word', (ctx) => {
    const shared = join(ROOT, '../shared/contract');
    if (!existsSync(shared)) ctx.skip(`${shared} is absent: outside the workplace only the vendored copy exists`);
    for (const f of ['authentication-guide.txt', 'public-api-facts.md'])
      expect(readFileSync(join(SOURCES, f), 'utf8'), f).toBe(readFileSync(join(shared, f), 'utf8'));
  });
});

describe('the suite against the spec', () => {
  test('check ids are unique and every level comes from its clause', () => {
    expect(new Set(catalog.map((c) => c.id)).size).toBe(catalog.length);
    for (const c of catalog) expect(c.level).toBe(c.clause.level);
  });

  test('OBSERVE clauses are only recorded, and recorded checks only sit on OBSERVE clauses', () => {
    for (const c of catalog) expect(JUDGES[c.judge].observes === true, c.id).toBe(c.level === 'OBSERVE');
  });

  test('at least 30 header variants, covering each troubleshooting bullet', () => {
    const all = variants(contract.auth, roleOperation(contract, 'bodyPlacement'));
    expect(all.length).toBeGreaterThanOrEqual(30);
    const groups = new Set(all.map((v) => v.id.split('.')[0]));
    for (const g of ['prefix', 'whitespace', 'copying', 'name', 'placement', 'size']) expect(groups).toContain(g);
  });

  test('a spec that cites an unknown clause is rejected', async () => {
    const bad = { ...contract, clauses: contract.clauses.filter((c) => c.id !== 'auth.prefix') };
    expect(() => buildCatalog(bad)).toThrow(/auth.prefix/);
  });
});
