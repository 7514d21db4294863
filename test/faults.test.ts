// The suite proves its own sensitivity: each seeded fault of the mock (and each oracle target,
// test/oracles.ts) fails exactly the checks recorded in test/fixtures/fault-expectations.json, no
// more and no fewer; the clean mock fails none. Regenerate the table with `npm run faults:record`
// and review its diff. The runs are in-process (test/fault-runs.ts); the CLI is run end to end below.
import { expect, test } from 'vitest';
import { DEFAULT_KEYS, FAULTS, startMock } from '../mock/server.js';
import { evaluateSubject, FAULT_ENV, FAULT_KEYS, readExpectations, runSubject, SETUP_OPTIONS, SUBJECTS, targetFlags } from './fault-runs.js';
import { cleanEnv, failing, MOCK_ENV, runInProcess } from './helpers.js';

const EXPECTED = readExpectations();

test('the table has a row for every fault of the mock and every oracle, and no other', () => {
  expect(Object.keys(EXPECTED)).toEqual(SUBJECTS);
  expect(SUBJECTS.filter((s) => s.startsWith('fault:')).map((s) => s.slice('fault:'.length)).sort()).toEqual(Object.keys(FAULTS).sort());
});

test('every fault fails at least one check and errs in none; the clean mock fails none', () => {
  for (const s of SUBJECTS.filter((x) => x.startsWith('fault:'))) {
    const row = EXPECTED[s]!;
    expect('failing' in row && row.failing.length > 0 && row.errors.length === 0, s).toBe(true);
  }
  expect(EXPECTED.clean).toEqual({ failing: [], errors: [] });
});

/**
 * The check that guards the clause each fault breaks, chosen by design (not recorded): a re-record
 * of the table after a regression cannot drop it unnoticed.
 */
const CAUGHT_BY: Record<keyof typeof FAULTS, string> = {
  'missing-header-401': 'auth.missing.listDirectories',
  'wrong-error-text': 'auth.invalid.createFile',
  'quota-as-401': 'auth.quota.listFiles',
  'bearer-accepted': 'hdr.prefix.bearer',
  'prefix-optional': 'hdr.prefix.none',
  'query-key-accepted': 'hdr.placement.query-api_key',
  'auth-skipped-create-file': 'auth.missing.createFile',
  'valid-key-rejected-list-files': 'auth.valid.listFiles',
  'valid-key-rejected-process': 'auth.valid.processTask',
  'upload-url-relative': 'auth.valid.createFile',
  'run-not-routed': 'api.operations-served',
  'schema-break': 'auth.valid.listDirectories',
  'token-case-insensitive': 'hdr.copying.token-case',
  'extra-chars-accepted': 'hdr.copying.extra-chars',
  'decode-and-compare': 'hdr.copying.unused-bits',
  'any-user-pass': 'hdr.copying.user-pass',
  'trim-normalise': 'hdr.copying.tab-inside',
  'decoded-case-insensitive': 'hdr.copying.user-case',
  'decoded-prefix': 'hdr.copying.unpadded',
  'lowercase-name-rejected': 'hdr.name.lowercase',
  'html-errors': 'response.json.createDirectory',
  '5xx-on-malformed': 'security.no-5xx',
  'echo-credential': 'security.no-credential-echo',
  'no-hsts': 'transport.hsts',
  'http-served': 'transport.https-only',
  'replays-cached': 'cache.replay',
  'proxy-leaks-key': 'proxy.key-not-exposed',
  'proxy-forwards-client-auth': 'proxy.client-authorization',
};

test('every fault fails the check that guards the clause it breaks', () => {
  const missed = Object.entries(CAUGHT_BY).filter(([fault, check]) => {
    const row = EXPECTED[`fault:${fault}`];
    return !row || !('failing' in row) || !row.failing.includes(check);
  });
  expect(missed).toEqual([]);
});

/** The auth.copying probes for decode-then-compare and user:password servers. */
const STACK_PROBES = ['unpadded', 'unused-bits', 'base64url', 'space-inside', 'tab-inside', 'reencoded', 'user-pass', 'other-password', 'user-case'].map((p) => `hdr.copying.${p}`);

test('each fault of a real Basic-auth stack is caught by the new auth.copying probes', () => {
  for (const fault of ['decode-and-compare', 'any-user-pass', 'trim-normalise', 'decoded-case-insensitive', 'decoded-prefix']) {
    const row = EXPECTED[`fault:${fault}`]!;
    expect('failing' in row && row.failing.some((id) => STACK_PROBES.includes(id)), fault).toBe(true);
  }
  // and every one of those probes is failed by some fault of the mock
  const failedByFaults = new Set(SUBJECTS.filter((s) => s.startsWith('fault:')).flatMap((s) => { const r = EXPECTED[s]!; return 'failing' in r ? r.failing : []; }));
  expect(STACK_PROBES.filter((id) => !failedByFaults.has(id))).toEqual([]);
});

const KEY_SHAPED = ['unpadded', 'unused-bits', 'base64url', 'reencoded', 'other-password', 'user-case'].map((p) => `hdr.copying.${p}`);

test('the clean mock: with the guide example key the key-shape probes are not verified (inapplicable, with the reason); with a user:password key every one passes', async () => {
  const guide = await evaluateSubject('clean', DEFAULT_KEYS);
  const shaped = await evaluateSubject('clean', FAULT_KEYS);
  if (typeof guide === 'string' || typeof shaped === 'string') throw new Error('the clean mock could not be run');
  const pick = (results: typeof guide) => results.filter((r) => KEY_SHAPED.includes(r.id));
  expect(pick(guide).map((r) => [r.id, r.verdict, r.cause, r.category])).toEqual(KEY_SHAPED.map((id) => [id, 'not-verified', 'inapplicable', 'key shape']));
  expect(pick(guide).find((r) => r.id === 'hdr.copying.unpadded')?.reason).toMatch(/no "=" padding/);
  expect(pick(guide).find((r) => r.id === 'hdr.copying.other-password')?.reason).toMatch(/does not decode to "user:password"/);
  expect(pick(shaped).map((r) => [r.id, r.verdict])).toEqual(KEY_SHAPED.map((id) => [id, 'pass']));
  expect(shaped.filter((r) => STACK_PROBES.includes(r.id) && r.verdict !== 'pass')).toEqual([]);
});

test.concurrent.for(SUBJECTS)('%s fails exactly the recorded checks (npm run faults:record)', async (subject) => {
  expect(await runSubject(subject)).toEqual(EXPECTED[subject]);
});

test('end to end, the command against a fault fails exactly its recorded checks, with exit 1', async () => {
  const mock = await startMock({ keys: FAULT_KEYS, faults: ['decode-and-compare'] });
  try {
    const run = await runInProcess(['--target', mock.url], cleanEnv(FAULT_ENV));
    const row = EXPECTED['fault:decode-and-compare']!;
    expect(failing(run.report()).sort()).toEqual('failing' in row ? row.failing : []);
    expect(run.code, run.stdout).toBe(1);
    expect(run.stdout).toMatch(/hdr\.copying\.unpadded/);
  } finally {
    await mock.close();
  }
});

test('without --strict a SHOULD-only failure leaves the run conformant (exit 0)', async () => {
  const mock = await startMock({ faults: ['echo-credential'] });
  try {
    const run = await runInProcess(['--target', mock.url], cleanEnv(MOCK_ENV));
    expect(failing(run.report())).toEqual(['security.no-credential-echo']);
    expect(run.code, run.stdout).toBe(0);
  } finally {
    await mock.close();
  }
});

// The clean mock passes as the API over http, over https, and behind a key-injecting backend;
// the only checks not verified are those of another profile or of https.
test.for([
  ['over http', undefined, /^(transport|proxy)\./],
  ['over https', 'tls', /^proxy\./],
  ['behind a key-injecting backend', 'injectKey', /^(transport|api|auth|hdr|response|security|cache\.replay)\b/],
] as const)('the clean mock passes %s: no MUST or SHOULD check fails or errors', async ([, setup, inapplicable]) => {
  const mock = await startMock(setup ? SETUP_OPTIONS[setup] : {});
  try {
    const run = await runInProcess([...targetFlags(mock, setup), '--strict'], cleanEnv(MOCK_ENV));
    const report = run.report();
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(failing(report)).toEqual([]);
    for (const level of ['MUST', 'SHOULD'] as const) {
      expect(report.summary.levels[level].fail).toBe(0);
      expect(report.summary.levels[level].error).toBe(0);
    }
    // the guide's example key has no padding, "+", "/" or user:password form: those probes are not sent
    const notVerified = report.checks.filter((c) => c.verdict === 'not-verified' && c.level !== 'OBSERVE' && c.category !== 'key shape');
    expect(notVerified.filter((c) => !inapplicable.test(c.id)).map((c) => `${c.id}: ${c.reason}`)).toEqual([]);
    expect(report.checks.filter((c) => c.verdict === 'pass').length).toBeGreaterThanOrEqual(setup === 'injectKey' ? 4 : 50);
  } finally {
    await mock.close();
  }
});
