// The one result model. report.json is its serialisation and the source of truth; every other
// view (console, Markdown, HTML, JUnit) is rendered from it.
import type { Level } from '../src/spec.js';

/**
 * pass: the target meets the check. fail: the target broke the contract. error: our harness or
 * the network broke, so nothing is known. not-verified: a key, capability or budget was missing.
 * observed: an OBSERVE check recorded what the target does; it is never judged.
 */
export type Verdict = 'pass' | 'fail' | 'error' | 'not-verified' | 'observed';
export const VERDICTS: readonly Verdict[] = ['pass', 'fail', 'error', 'not-verified', 'observed'];

export interface CheckResult {
  id: string;
  clause: string;
  level: Level;
  group: string;
  title: string;
  quote: string;
  source: string;
  verdict: Verdict;
  expected: string;
  /** A short comparable label of what the target did, e.g. "401 Invalid API key". */
  outcome?: string;
  /** Why it failed or errored. */
  message?: string;
  /** Why it was not verified. */
  reason?: string;
  exchange?: {
    request: { method: string; url: string; transport: string; headers: string[] };
    response?: { status: number; contentType: string | null; body: string; bodyTruncated: boolean; ms: number };
  };
  durationMs: number;
}

export interface Summary {
  total: number;
  verdicts: Record<Verdict, number>;
  levels: Record<Level, Record<Verdict, number>>;
  conformant: boolean;
  exitCode: number;
}

export interface Report {
  schemaVersion: 1;
  tool: { name: string; version: string };
  spec: { path: string; version: string; sha256: string };
  target: {
    name: string;
    url: string;
    bundledMock: boolean;
    profile: string;
    credentials: Record<string, { variable: string; set: boolean }>;
  };
  options: { strict: boolean; concurrency: number; timeoutMs: number };
  startedAt: string;
  durationMs: number;
  interrupted: boolean;
  summary: Summary;
  checks: CheckResult[];
}

const zero = (): Record<Verdict, number> => ({ pass: 0, fail: 0, error: 0, 'not-verified': 0, observed: 0 });

/**
 * Exit codes: 0 conformant; 1 a MUST check failed (with strict, a SHOULD check too); 3 no
 * failure but some check errored, so conformance is unknown; 130 the run was interrupted.
 */
export function summarize(checks: CheckResult[], strict: boolean, interrupted: boolean): Summary {
  const verdicts = zero();
  const levels: Summary['levels'] = { MUST: zero(), SHOULD: zero(), OBSERVE: zero() };
  for (const c of checks) {
    verdicts[c.verdict]++;
    levels[c.level][c.verdict]++;
  }
  const judged = strict ? (['MUST', 'SHOULD'] as const) : (['MUST'] as const);
  const failed = judged.some((l) => levels[l].fail > 0);
  const errored = judged.some((l) => levels[l].error > 0);
  const exitCode = interrupted ? 130 : failed ? 1 : errored ? 3 : 0;
  return { total: checks.length, verdicts, levels, conformant: !failed && !errored && !interrupted, exitCode };
}
