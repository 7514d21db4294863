// Every check that can fail is shown to fail: each MUST or SHOULD check of the catalog is failed
// by at least one seeded fault of the mock or one oracle target, as recorded in
// test/fixtures/fault-expectations.json (which test/faults.test.ts proves by running them).
import { expect, test } from 'vitest';
import { loadContract } from '../core/spec.js';
import { buildCatalog } from '../suites/catalog.js';
import { fill, keyParts } from '../suites/keyforms.js';
import { FAULT_KEYS, readExpectations, type Outcome } from './fault-runs.js';

const TABLE = readExpectations();
const catalog = buildCatalog(await loadContract());
/** The checks that can fail: every one whose level is not OBSERVE. */
const judged = catalog.filter((c) => c.level !== 'OBSERVE').map((c) => c.id);

/** For each check, the subjects of the table that fail it. */
function killers(table: Record<string, Outcome>): Map<string, string[]> {
  const by = new Map<string, string[]>(judged.map((id) => [id, []]));
  for (const [subject, row] of Object.entries(table)) if ('failing' in row) for (const id of row.failing) by.get(id)?.push(subject);
  return by;
}
const unkilled = (table: Record<string, Outcome>) => [...killers(table)].filter(([, k]) => k.length === 0).map(([id]) => id);

test('the catalog has checks that can fail, and the table names only checks of the catalog', () => {
  expect(judged.length).toBeGreaterThan(60);
  const ids = new Set(catalog.map((c) => c.id));
  expect(Object.values(TABLE).flatMap((r) => ('failing' in r ? r.failing : [])).filter((id) => !ids.has(id))).toEqual([]);
});

test('every check that can fail (MUST or SHOULD) is failed by some fault of the mock or some oracle target', () => {
  expect(unkilled(TABLE)).toEqual([]);
});

test('the kill test notices a fault taken away: without no-hsts, transport.hsts is reported unproven', () => {
  // transport.hsts has one fault by design (an https mock without the header): take it away.
  const without = Object.fromEntries(Object.entries(TABLE).filter(([s]) => s !== 'fault:no-hsts'));
  expect(unkilled(without)).toEqual(['transport.hsts']);
});

test('every key template of the catalog fills completely from a user:password key (no placeholder is sent as text)', () => {
  const templates = catalog.flatMap((c) => [c.probe, ...(c.over ?? []), ...(c.sequence ?? [])]).flatMap((p) => [...(p?.headers ?? []).map(([, v]) => v), ...Object.values(p?.query ?? {}), p?.body ?? '']);
  const k = keyParts(FAULT_KEYS.valid);
  expect(templates.map((t) => fill(t, k)).filter((v) => /\{(value|token)\b/.test(v))).toEqual([]);
});
