// The suite proves its own sensitivity: each seeded fault of the mock breaks one clause, and a run
// against it must fail and name the check that guards that clause. The clean mock must pass.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FAULTS, startMock, type Fault, type MockOptions, type RunningMock } from '../src/mock/server.js';
import { cleanEnv, failing, MOCK_ENV, namedTarget, runCli, TEST_TLS } from './helpers.js';

const CAUGHT_BY: Record<Fault, string> = {
  'missing-header-401': 'auth.missing.listDirectories',
  'wrong-error-text': 'auth.invalid.createFile',
  'quota-as-401': 'auth.quota.listFiles',
  'bearer-accepted': 'hdr.prefix.bearer',
  'prefix-optional': 'hdr.prefix.none',
  'query-key-accepted': 'hdr.placement.query-api_key',
  'auth-skipped-create-file': 'auth.missing.createFile',
  'valid-key-rejected-list-files': 'auth.valid.listFiles',
  'schema-break': 'auth.valid.listDirectories',
  'token-case-insensitive': 'hdr.copying.token-case',
  'extra-chars-accepted': 'hdr.copying.extra-chars',
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

/** Faults whose checks apply only to an https target or a key-injecting backend. */
const SETUP: Partial<Record<Fault, 'tls' | 'injectKey'>> = {
  'no-hsts': 'tls',
  'http-served': 'tls',
  'proxy-leaks-key': 'injectKey',
  'proxy-forwards-client-auth': 'injectKey',
};
const MOCK_OPTIONS = { tls: { tls: TEST_TLS }, injectKey: { injectKey: true } } satisfies Record<string, MockOptions>;

/** The flags that point a run at a mock started with `setup`. */
function targetArgs(mock: RunningMock, setup?: 'tls' | 'injectKey'): string[] {
  if (!setup) return ['--target', mock.url];
  const profile = setup === 'injectKey' ? 'key-injecting-proxy' : 'direct';
  return [...namedTarget({ url: mock.url, profile, ...(mock.plainUrl && { plainHttpUrl: mock.plainUrl }) }), ...(setup === 'tls' ? ['--insecure'] : [])];
}

test('every fault the mock can seed is covered by this table', () => {
  expect(Object.keys(CAUGHT_BY).sort()).toEqual(Object.keys(FAULTS).sort());
});

describe.concurrent('a run against the mock with one seeded fault', () => {
  const mocks = new Map<Fault, RunningMock>();
  beforeAll(async () => {
    for (const fault of Object.keys(FAULTS) as Fault[]) {
      const setup = SETUP[fault];
      mocks.set(fault, await startMock({ faults: [fault], ...(setup && MOCK_OPTIONS[setup]) }));
    }
  });
  afterAll(async () => {
    await Promise.all([...mocks.values()].map((m) => m.close()));
  });

  test.for(Object.entries(CAUGHT_BY) as Array<[Fault, string]>)('%s is caught by %s', async ([fault, check]) => {
    const run = await runCli([...targetArgs(mocks.get(fault)!, SETUP[fault]), '--strict'], cleanEnv(MOCK_ENV));
    const report = run.report();
    expect(failing(report)).toContain(check);
    expect(run.code, run.stdout).toBe(1);
    expect(report.summary.verdicts.error).toBe(0);
  });
});

test('without --strict a SHOULD-only failure leaves the run conformant (exit 0)', async () => {
  const mock = await startMock({ faults: ['echo-credential'] });
  try {
    const run = await runCli(['--target', mock.url], cleanEnv(MOCK_ENV));
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
  ['behind a key-injecting backend', 'injectKey', /^(transport|auth|hdr|response|security|cache\.replay)\b/],
] as const)('the clean mock passes %s: no MUST or SHOULD check fails or errors', async ([, setup, inapplicable]) => {
  const mock = await startMock(setup ? MOCK_OPTIONS[setup] : {});
  try {
    const run = await runCli([...targetArgs(mock, setup), '--strict'], cleanEnv(MOCK_ENV));
    const report = run.report();
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(failing(report)).toEqual([]);
    for (const level of ['MUST', 'SHOULD'] as const) {
      expect(report.summary.levels[level].fail).toBe(0);
      expect(report.summary.levels[level].error).toBe(0);
    }
    const notVerified = report.checks.filter((c) => c.verdict === 'not-verified' && c.level !== 'OBSERVE');
    expect(notVerified.filter((c) => !inapplicable.test(c.id)).map((c) => `${c.id}: ${c.reason}`)).toEqual([]);
    expect(report.checks.filter((c) => c.verdict === 'pass').length).toBeGreaterThanOrEqual(setup === 'injectKey' ? 4 : 50);
  } finally {
    await mock.close();
  }
});
