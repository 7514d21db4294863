// The contract itself: valid OpenAPI 3.1, every schema compiles, every example validates (the
// rules every spec must keep, quotes and clause coverage among them, are in spec-lint.test.ts).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { describe, expect, test } from 'vitest';
import { buildCatalog, JUDGE_EVIDENCE } from '../suites/catalog.js';
import { loadChecks } from '../core/checks.js';
import { JUDGES } from '../suites/judges.js';
import { DEFAULT_SPEC, documentedErrorTexts, loadContract, schemaValidators } from '../core/spec.js';
import { ROOT, tempDir } from './helpers.js';

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
    const all = loadChecks().headerVariants;
    expect(all.length).toBeGreaterThanOrEqual(30);
    const groups = new Set(all.map((v) => v.id.split('.')[0]));
    for (const g of ['prefix', 'whitespace', 'copying', 'name', 'placement', 'size']) expect(groups).toContain(g);
  });

  test('a spec that cites an unknown clause is rejected', async () => {
    const bad = { ...contract, clauses: contract.clauses.filter((c) => c.id !== 'auth.prefix') };
    expect(() => buildCatalog(bad)).toThrow(/auth.prefix/);
  });
});

describe('checks as data (spec/checks.json, spec/checks.schema.json)', () => {
  const write = (edit: (data: { headerVariants: Array<Record<string, unknown>>; deployment: Array<Record<string, unknown>> }) => void): string => {
    const data = JSON.parse(readFileSync(join(ROOT, 'spec/checks.json'), 'utf8')) as Parameters<typeof edit>[0];
    edit(data);
    const path = join(tempDir(), 'checks.json');
    writeFileSync(path, JSON.stringify(data));
    return path;
  };

  test('each judge is declared with the evidence kind it judges: aggregates as aggregate', () => {
    for (const [id, judge] of Object.entries(JUDGES)) expect(JUDGE_EVIDENCE[id as keyof typeof JUDGE_EVIDENCE] === 'aggregate', id).toBe(judge.aggregate === true);
  });

  test('the data file builds the header variants and the deployment checks, with their evidence', async () => {
    const contract = await loadContract();
    const data = loadChecks();
    const catalog = buildCatalog(contract, data);
    for (const d of data.deployment) {
      const c = catalog.find((x) => x.id === d.id)!;
      expect(c.suite).toBe('deployment');
      expect(Boolean(c.probe) && d.evidence.kind === 'exchange' || Boolean(c.sequence) && d.evidence.kind === 'sequence' || Boolean(c.over) && d.evidence.kind === 'aggregate', d.id).toBe(true);
    }
    expect(catalog.filter((c) => c.suite === 'headers').map((c) => c.id)).toEqual(data.headerVariants.map((v) => `hdr.${v.id}`));
    expect(catalog.find((c) => c.id === 'hdr.prefix.no-space')?.probe?.headers).toEqual([['Authorization', 'Basic{token}']]);
    expect(catalog.find((c) => c.id === 'hdr.size.8k')?.probe?.headers?.[0]?.[1]).toBe(`Basic ${'A'.repeat(8192)}`);
  });

  test("a check whose evidence is not its judge's kind is a one-line error when the catalog is built", async () => {
    const contract = await loadContract();
    const path = write((d) => {
      const hsts = d.deployment.find((c) => c.id === 'transport.hsts')!;
      hsts.evidence = { kind: 'exchange', probe: { ref: 'missing' } };
    });
    expect(() => buildCatalog(contract, loadChecks(path))).toThrow(/^invalid checks file .*: check transport\.hsts gives exchange evidence, but judge hsts judges an aggregate$/);
  });

  test('a file that breaks the schema is a one-line error at load', () => {
    const path = write((d) => {
      (d.deployment[0]!.evidence as { kind: string }).kind = 'several';
    });
    expect(() => loadChecks(path)).toThrow(/^invalid checks file .*: \/deployment\/0\/evidence\/kind /);
    const unknown = write((d) => {
      d.headerVariants[0]!.judge = 'lenient';
    });
    expect(() => loadChecks(unknown)).toThrow(/^invalid checks file .*: \/headerVariants\/0\/judge must be equal to one of the allowed values/);
  });
});
