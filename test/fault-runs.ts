// Runs the whole catalog in-process against one subject (the mock with a seeded fault, or an oracle
// target) and returns the ids of the checks that fail: the engine's own verdicts (suites/engine.ts),
// after the command's preflight and plan, without a vitest run or a child process per subject.
// Shared by test/faults.test.ts, test/kill.test.ts and `npm run faults:record`.
import { readFileSync } from 'node:fs';
import { optionsFromFlags, parseCli, resolveConfig } from '../core/config.js';
import { UsageError } from '../core/errors.js';
import { FAULTS, startMock, type Fault, type MockKeys, type MockOptions } from '../mock/server.js';
import { buildPlan, scheduleOf } from '../app/plan.js';
import { preflight } from '../app/preflight.js';
import { loadContract, type Contract } from '../core/spec.js';
import { buildCatalog, type Check } from '../suites/catalog.js';
import { Run } from '../suites/engine.js';
import { namedTarget, TEST_TLS, tempDir } from './helpers.js';
import { ORACLES, startOracle, type Listening, type Oracle } from './oracles.js';
import type { CheckOutcome } from '../core/results.js';

/**
 * The keys of every subject: a valid key shaped base64("user:password") with "=" padding, "+" and
 * "/", so that every auth.copying probe can be sent (the guide's example key has none of these).
 */
export const FAULT_KEYS: MockKeys = {
  valid: `Basic ${Buffer.from('fault_user:Zz9?>~>?').toString('base64')}`, // ZmF1bHRfdXNlcjpaejk/Pn4+Pw==
  quota: 'Basic cXVvdGFfZXhjZWVkZWRfa2V5XzAxMjM0NTY3ODk=',
  revoked: 'Basic cmV2b2tlZF9rZXlfYWJjZGVmZ2hpamtsbW5vcHE=',
};
export const FAULT_ENV = { FFMPEG_API_KEY: FAULT_KEYS.valid, FFMPEG_API_QUOTA_EXCEEDED_KEY: FAULT_KEYS.quota, FFMPEG_API_REVOKED_KEY: FAULT_KEYS.revoked };

/** How a mock is started for checks that apply only to an https target or behind a key-injecting backend. */
export type Setup = 'tls' | 'injectKey';
export const SETUP_OPTIONS = { tls: { tls: TEST_TLS }, injectKey: { injectKey: true } } satisfies Record<Setup, MockOptions>;
/** Faults whose checks apply only to an https target or behind a key-injecting backend. */
const FAULT_SETUP: Partial<Record<Fault, Setup>> = { 'no-hsts': 'tls', 'http-served': 'tls', 'proxy-leaks-key': 'injectKey', 'proxy-forwards-client-auth': 'injectKey' };

/**
 * The flags that point a run at a server (a mock started with `setup`, or an oracle under a
 * profile): a named target with its plain-http twin when it has one, and --insecure for the test certificate.
 */
export function targetFlags(server: Listening & { plainUrl?: string }, setup?: Setup, profile: 'direct' | 'key-injecting-proxy' = 'direct'): string[] {
  const plainHttpUrl = server.plainUrl;
  return [
    ...namedTarget({ url: server.url, profile: setup === 'injectKey' ? 'key-injecting-proxy' : profile, ...(plainHttpUrl && { plainHttpUrl }) }),
    ...(setup === 'tls' ? ['--insecure'] : []),
  ];
}

/** Every subject of the fault table: the clean mock, each fault of the mock, and each oracle (also behind a key-injecting backend where that kills a check). */
export const SUBJECTS: string[] = [
  'clean',
  ...Object.keys(FAULTS).map((f) => `fault:${f}`),
  ...Object.keys(ORACLES).map((o) => `oracle:${o}`),
  'oracle:accept-everything@key-injecting-proxy',
  'oracle:reject-everything@key-injecting-proxy',
];

/** What a run against a subject showed: the failing check ids (sorted), or why it could not run. */
export type Outcome = { failing: string[]; errors: string[] } | { couldNotRun: string };

/** test/fixtures/fault-expectations.json: the recorded outcome of each subject (`npm run faults:record` writes it). */
export const EXPECTATIONS = new URL('fixtures/fault-expectations.json', import.meta.url);
export const readExpectations = (): Record<string, Outcome> => JSON.parse(readFileSync(EXPECTATIONS, 'utf8')) as Record<string, Outcome>;

export async function runSubject(subject: string): Promise<Outcome> {
  const results = await evaluateSubject(subject);
  if (typeof results === 'string') return { couldNotRun: results };
  const ids = (verdict: string) => results.filter((r) => r.verdict === verdict).map((r) => r.id).sort();
  return { failing: ids('fail'), errors: ids('error') };
}

/** The bundled spec and its catalog, loaded once for every subject. */
let loaded: Promise<{ contract: Contract; catalog: Check[] }> | undefined;
const specOnce = () => (loaded ??= loadContract().then((contract) => ({ contract, catalog: buildCatalog(contract) })));

/** Every check's result against a subject (with these keys), or why the run could not start. */
export async function evaluateSubject(subject: string, keys: MockKeys = FAULT_KEYS): Promise<CheckOutcome[] | string> {
  const [kind, rest = ''] = (subject === 'clean' ? 'fault:' : subject).split(':') as ['fault' | 'oracle', string];
  const [name, profile] = rest.split('@') as [string, 'key-injecting-proxy' | undefined];
  const mockOptions: MockOptions = { keys };
  const setup = kind === 'fault' ? FAULT_SETUP[name as Fault] : undefined;
  const server: Listening & { plainUrl?: string } =
    kind === 'fault'
      ? await startMock({ ...mockOptions, faults: name ? [name as Fault] : [], ...(setup && SETUP_OPTIONS[setup]) })
      : await startOracle(name as Oracle, mockOptions);
  try {
    const args = [
      ...targetFlags(server, setup, profile),
      // One request at a time, in plan order: what a replaying cache has seen first is then always the same.
      '--concurrency',
      '1',
      '--report-dir',
      tempDir(),
    ];
    const env = { FFMPEG_API_KEY: keys.valid, FFMPEG_API_QUOTA_EXCEEDED_KEY: keys.quota, FFMPEG_API_REVOKED_KEY: keys.revoked };
    const config = resolveConfig(optionsFromFlags(parseCli(args)), env);
    const { contract, catalog } = await specOnce();
    let keyRejected: string | undefined;
    try {
      ({ keyRejected } = await preflight(config, contract, env));
    } catch (e) {
      if (e instanceof UsageError) return e.message.replace(/(127\.0\.0\.1):\d+/g, '$1:<port>');
      throw e;
    }
    const schedule = scheduleOf(buildPlan(catalog, { target: config.target, contract, env, keyRejected }));
    const run = new Run({ target: config.target, http: config.http, contract, catalog, schedule, keys: env, prefetch: true, ...(keyRejected && { keyRejected }) });
    run.prefetch();
    return await Promise.all(catalog.map((c) => run.evaluate(c)));
  } finally {
    await server.close();
  }
}
