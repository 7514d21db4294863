// The one result model. report.json is its serialisation and the source of truth; every other
// view (console, Markdown, HTML, JUnit) is rendered from it.
import type { Level } from '../src/spec.js';
import type { Finding } from '../suites/judges.js';

export type { Finding };

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
  /** The judge that ruled (suites/judges.ts). */
  judge: string;
  expected: string;
  /** A short comparable label of what the target did, e.g. "401 Invalid API key". */
  outcome?: string;
  /** Why it failed (its findings, one per line) or errored. */
  message?: string;
  /** What the target did wrong, each in the contract's words (expected, then observed). */
  findings?: Finding[];
  /** Why it was not verified. */
  reason?: string;
  exchange?: {
    request: { method: string; url: string; transport: string; headers: string[] };
    response?: { status: number; contentType: string | null; headers?: Record<string, string>; body: string; bodyTruncated: boolean; ms: number };
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
  /** Present when this report is one shard of a split run (`--shard i/n`); a merged report has none. */
  shard?: { index: number; count: number };
  summary: Summary;
  checks: CheckResult[];
  /** Present when the run was compared with a baseline report (`--baseline`). */
  drift?: Drift;
}

/**
 * How a check moved against a baseline. regression: pass → fail. fixed: fail → pass.
 * still-failing: fail → fail. behaviour-changed: same verdict, another outcome. verdict-changed:
 * any other change of verdict (e.g. pass → error, not-verified → pass). new / removed: the check
 * exists in only one of the two reports. The order is the order of importance in summaries.
 */
export type DriftKind = 'regression' | 'fixed' | 'still-failing' | 'behaviour-changed' | 'verdict-changed' | 'new' | 'removed' | 'unchanged';
export const DRIFT_KINDS: readonly DriftKind[] = ['regression', 'fixed', 'still-failing', 'behaviour-changed', 'verdict-changed', 'new', 'removed', 'unchanged'];

export interface DriftSide {
  verdict: Verdict;
  outcome?: string;
}

export interface DriftEntry {
  id: string;
  level: Level;
  kind: DriftKind;
  before?: DriftSide;
  after?: DriftSide;
}

export interface Drift {
  baseline: { path: string; startedAt: string; target: string; toolVersion: string; specSha256: string };
  counts: Record<DriftKind, number>;
  /** Every check of either report, in check-id order. */
  checks: DriftEntry[];
}

/** What a report says about its run, before any check: everything but the summary, checks and drift. */
export type ReportHead = Omit<Report, 'summary' | 'checks' | 'drift'>;

/** The report of a run: its head, its checks in id order, and their summary. */
export function buildReport(head: ReportHead, checks: CheckResult[]): Report {
  const sorted = [...checks].sort((a, b) => a.id.localeCompare(b.id));
  return { ...head, summary: summarize(sorted, head.options.strict, head.interrupted), checks: sorted };
}

const zero = (): Record<Verdict, number> => ({ pass: 0, fail: 0, error: 0, 'not-verified': 0, observed: 0 });

/**
 * Exit codes: 0 conformant; 1 a MUST check failed (with strict, a SHOULD check too), or a check
 * regressed against the baseline; 3 no failure but some check errored, so conformance is
 * unknown; 130 the run was interrupted.
 */
export function summarize(checks: CheckResult[], strict: boolean, interrupted: boolean, regressions = 0): Summary {
  const verdicts = zero();
  const levels: Summary['levels'] = { MUST: zero(), SHOULD: zero(), OBSERVE: zero() };
  for (const c of checks) {
    verdicts[c.verdict]++;
    levels[c.level][c.verdict]++;
  }
  const judged = strict ? (['MUST', 'SHOULD'] as const) : (['MUST'] as const);
  const failed = judged.some((l) => levels[l].fail > 0);
  const errored = judged.some((l) => levels[l].error > 0);
  const exitCode = interrupted ? 130 : failed || regressions > 0 ? 1 : errored ? 3 : 0;
  return { total: checks.length, verdicts, levels, conformant: !failed && !errored && !interrupted, exitCode };
}
