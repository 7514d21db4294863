// The one result model. report.json is its serialisation and the source of truth; every other
// view (console, Markdown, HTML, JUnit) is rendered from it.
import type { Level } from '../core/spec.js';
import type { Verdict, CheckResult, ClauseEntry } from '../core/results.js';

/** What the run may claim: conformant only when every applicable MUST check (with --strict, SHOULD too) was verified. */
export type RunVerdict = 'conformant' | 'partial' | 'not-conformant' | 'regressed' | 'inconclusive' | 'interrupted' | 'could-not-run';

/** A declared gap: checks left unverified because something was not configured, and what would verify them. */
interface Gap {
  category: string;
  remedy: string;
  checks: string[];
}

export interface Summary {
  total: number;
  verdicts: Record<Verdict, number>;
  levels: Record<Level, Record<Verdict, number>>;
  /** Per judged level: checks that apply to this target, and how many of them were verified (pass, fail or error). */
  coverage: Record<'MUST' | 'SHOULD', { applicable: number; verified: number }>;
  /** The declared gaps of judged levels (cause scope), by category. */
  gaps: Gap[];
  verdict: RunVerdict;
  conformant: boolean;
  exitCode: number;
  /**
   * A narrowed run (--only, --skip, --operation, or one shard before merging): how many checks of
   * the whole catalog it ran, and the flags that narrowed it. Absent: the whole catalog was in scope.
   */
  scope?: Scope;
}

export interface Scope {
  checks: number;
  of: number;
  by: string[];
}

export interface Report {
  schemaVersion: 1;
  tool: { name: string; version: string };
  spec: {
    path: string;
    version: string;
    sha256: string;
    /** The error texts the contract documents (the `error` its response schemas fix); absent from a report.json written before the field existed (reporters/matrix.ts says what then). */
    errorTexts?: string[];
  };
  target: {
    name: string;
    url: string;
    bundledMock: boolean;
    profile: string;
    credentials: Record<string, { variable: string; set: boolean }>;
  };
  options: { strict: boolean; requireComplete?: boolean; concurrency: number; timeoutMs: number };
  /** --only/--skip/--operation, when given: the report holds only the selected checks. */
  selection?: { only: string[]; skip: string[]; operations?: string[] };
  /** The checks of the whole catalog, when the run was narrowed (a selection or a shard): summary.scope's `of`. */
  catalogChecks?: number;
  /** How much the target throttled the run (429/503 answers waited out), when it did. */
  throttle?: { answers: number; waitedMs: number; concurrency: number };
  startedAt: string;
  durationMs: number;
  interrupted: boolean;
  /** Present when this report is one shard of a split run (`--shard i/n`); a merged report has none. */
  shard?: { index: number; count: number };
  /** The contract's clauses (id, level, quote, source): each check refers to one by id (read them with clauseOf). */
  clauses: ClauseEntry[];
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
  /** Still failing, with a history (--history): the run since which it fails. */
  since?: { run: number; startedAt: string };
}

export interface Drift {
  baseline: { path: string; startedAt: string; target: string; toolVersion: string; specSha256: string };
  counts: Record<DriftKind, number>;
  /** Every check of either report, in check-id order. */
  checks: DriftEntry[];
}

/** A clause's documentation (quote and source), from the report's clause table: the one place every view reads it. */
export function clauseOf(report: Pick<Report, 'clauses'>, clause: string): { quote: string; source: string } {
  const entry = report.clauses.find((c) => c.id === clause);
  return { quote: entry?.quote ?? '', source: entry?.source ?? '' };
}

/**
 * A report.json read back (--baseline, --compare) as the model has it: one written before the
 * clause table existed carried each clause's quote and source on every check; the table is made from them.
 */
export function withClauseTable(report: Report): Report {
  if (report.clauses) return report;
  type Legacy = CheckResult & { quote?: string; source?: string };
  const clauses = new Map<string, ClauseEntry>();
  const checks = (report.checks as Legacy[]).map(({ quote, source, ...c }) => {
    if (!clauses.has(c.clause)) clauses.set(c.clause, { id: c.clause, level: c.level, quote: quote ?? '', source: source ?? '' });
    return c;
  });
  return { ...report, clauses: [...clauses.values()], checks };
}

/** What a report says about its run, before any check: everything but the summary, checks and drift. */
export type ReportHead = Omit<Report, 'summary' | 'checks' | 'drift'>;

/** The report of a run: its head, its checks in id order, and their summary. */
export function buildReport(head: ReportHead, checks: CheckResult[]): Report {
  const sorted = [...checks].sort((a, b) => a.id.localeCompare(b.id));
  return { ...head, summary: { ...summarize(sorted, head.options, head.interrupted), ...scopeOf(head, sorted.length) }, checks: sorted };
}

/** summary.scope of a narrowed run: its checks, the catalog's, and the flags that narrowed it. */
export function scopeOf(head: Pick<Report, 'selection' | 'shard' | 'catalogChecks'>, checks: number): { scope?: Scope } {
  const sel = head.selection;
  const by = [
    ...(sel?.only ?? []).map((p) => `--only ${p}`),
    ...(sel?.skip ?? []).map((p) => `--skip ${p}`),
    ...(sel?.operations ?? []).map((o) => `--operation ${o}`),
    ...(head.shard ? [`--shard ${head.shard.index}/${head.shard.count}`] : []),
  ];
  return by.length ? { scope: { checks, of: head.catalogChecks ?? checks, by } } : {};
}

const zero = (): Record<Verdict, number> => ({ pass: 0, fail: 0, error: 0, 'not-verified': 0, observed: 0 });

/**
 * The run's verdict and exit code, from the evidence only:
 * - 130 interrupted;
 * - 1 a judged check failed (MUST; with --strict, SHOULD too), or a check regressed against the baseline;
 * - 3 inconclusive: a judged check errored (no answer, throttled), or was left unverified by the
 *   budget or by a rejected valid key;
 * - 0 CONFORMANT (partial) when only declared gaps (a key or capability not configured) left
 *   judged checks unverified — 3 instead with --require-complete;
 * - 0 CONFORMANT when every applicable judged check was verified and none failed or errored.
 */
export function summarize(checks: CheckResult[], options: { strict: boolean; requireComplete?: boolean }, interrupted: boolean, regressions = 0): Summary {
  const verdicts = zero();
  const levels: Summary['levels'] = { MUST: zero(), SHOULD: zero(), OBSERVE: zero() };
  for (const c of checks) {
    verdicts[c.verdict]++;
    levels[c.level][c.verdict]++;
  }
  const judged = options.strict ? (['MUST', 'SHOULD'] as const) : (['MUST'] as const);
  const isJudged = (c: CheckResult) => (judged as readonly Level[]).includes(c.level);
  const coverage = Object.fromEntries(
    (['MUST', 'SHOULD'] as const).map((l) => {
      const applicable = checks.filter((c) => c.level === l && c.cause !== 'inapplicable');
      return [l, { applicable: applicable.length, verified: applicable.filter((c) => c.verdict !== 'not-verified').length }];
    }),
  ) as Summary['coverage'];
  const unverified = checks.filter((c) => isJudged(c) && c.verdict === 'not-verified' && c.cause !== 'inapplicable');
  const gaps = new Map<string, Gap>();
  for (const c of unverified.filter((x) => (x.cause ?? 'scope') === 'scope')) {
    const key = `${c.category ?? 'other'}\n${c.remedy ?? c.reason ?? ''}`;
    const gap = gaps.get(key) ?? { category: c.category ?? 'other', remedy: c.remedy ?? c.reason ?? 'see the check', checks: [] };
    gap.checks.push(c.id);
    gaps.set(key, gap);
  }
  const failed = judged.some((l) => levels[l].fail > 0);
  const errored = judged.some((l) => levels[l].error > 0);
  const cut = unverified.some((c) => c.cause === 'budget' || c.cause === 'key-rejected');
  const verdict: RunVerdict = interrupted
    ? 'interrupted'
    : failed ? 'not-conformant'
      : regressions > 0 ? 'regressed'
        : errored || cut ? 'inconclusive'
          : gaps.size ? 'partial' : 'conformant';
  const exitCode = { interrupted: 130, 'not-conformant': 1, regressed: 1, inconclusive: 3, partial: options.requireComplete ? 3 : 0, conformant: 0, 'could-not-run': 2 }[verdict];
  // Conformant: no judged check failed, errored or was cut short (a regression alone leaves it so).
  const conformant = !interrupted && !failed && !errored && !cut;
  return { total: checks.length, verdicts, levels, coverage, gaps: [...gaps.values()], verdict, conformant, exitCode };
}

/** One broken clause: its failing (or erroring) checks, and the distinct answers they expected and got. */
export interface ClauseFinding {
  kind: 'FAIL' | 'ERROR';
  clause: string;
  /** The highest level among its checks. */
  level: Level;
  /** The ids of its checks, in id order. */
  checks: string[];
  /** The distinct expected answers, in the contract's words. */
  expected: string[];
  /** The distinct observed answers (outcome labels, or the error when there was no answer). */
  observed: string[];
  /** The distinct findings of its checks, in the contract's words ("expected 400 {...}, got 401 {...}"), or their errors. */
  messages: string[];
}

/** What a check got, as one comparable line. */
const answerOf = (c: CheckResult): string => c.outcome ?? c.message?.split('\n')[0] ?? '(no answer)';

/**
 * The failed and errored checks grouped by the clause they break. A check whose expected answer is
 * documented by another clause (answerClause) joins that clause when the clause's own checks fail
 * with the same answer: one broken answer, one finding. Most important first: MUST before SHOULD,
 * failures before errors, larger groups first.
 */
export function groupFindings(checks: readonly CheckResult[]): ClauseFinding[] {
  const bad = checks.filter((c) => c.verdict === 'fail' || c.verdict === 'error');
  const kindOf = (c: CheckResult): ClauseFinding['kind'] => (c.verdict === 'fail' ? 'FAIL' : 'ERROR');
  const own = new Set(bad.map((c) => `${kindOf(c)}\n${c.clause}\n${answerOf(c)}`));
  const groups = new Map<string, ClauseFinding>();
  const seen = new Map<string, Set<string>>();
  for (const c of [...bad].sort((a, b) => a.id.localeCompare(b.id))) {
    const kind = kindOf(c);
    const clause = c.answerClause && own.has(`${kind}\n${c.answerClause}\n${answerOf(c)}`) ? c.answerClause : c.clause;
    const key = `${kind}\n${clause}`;
    const g = groups.get(key) ?? { kind, clause, level: c.level, checks: [], expected: [], observed: [], messages: [] };
    g.checks.push(c.id);
    if (LEVEL_RANK[c.level] < LEVEL_RANK[g.level]) g.level = c.level;
    if (!g.expected.includes(c.expected)) g.expected.push(c.expected);
    if (!g.observed.includes(answerOf(c))) g.observed.push(answerOf(c));
    const said = seen.get(key) ?? new Set(g.messages); // a Set: grouping stays linear in the findings
    seen.set(key, said);
    for (const m of c.findings?.length ? c.findings.map((f) => f.message) : [c.message?.split('\n')[0] ?? answerOf(c)]) if (!said.has(m)) {
        said.add(m);
        g.messages.push(m);
      }
    groups.set(key, g);
  }
  return [...groups.values()].sort(
    (a, b) => LEVEL_RANK[a.level] - LEVEL_RANK[b.level] || Number(a.kind === 'ERROR') - Number(b.kind === 'ERROR') || b.checks.length - a.checks.length || a.clause.localeCompare(b.clause),
  );
}

const LEVEL_RANK: Record<Level, number> = { MUST: 0, SHOULD: 1, OBSERVE: 2 };
