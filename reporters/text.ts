// The wording every view shares (console, Markdown, HTML, JUnit): the verdict line, the
// compatibility figure per level, and the findings in the order a reader needs them.
import { LEVELS, type Level } from '../src/spec.js';
import type { CheckResult, DriftKind, Report } from './model.js';

/** The run's verdict in one line, e.g. "NOT CONFORMANT (MUST failures)". */
export function verdictText(report: Report): string {
  const s = report.summary;
  const judged = report.options.strict ? 'MUST or SHOULD' : 'MUST';
  const regressions = report.drift?.counts.regression ?? 0;
  const regressed = regressions ? `${regressions} regression${regressions > 1 ? 's' : ''} against the baseline` : '';
  const shard = report.shard ? ` [shard ${report.shard.index}/${report.shard.count}]` : '';
  if (report.interrupted) return `INTERRUPTED — partial report of the checks that ran${shard}`;
  if (s.exitCode === 0) return `CONFORMANT (no ${judged} failure)${shard}`;
  if (s.exitCode === 2) return `COULD NOT RUN (the target gave no HTTP answer: ${report.checks[0]?.message ?? 'unreachable'})${shard}`;
  if (s.exitCode === 3) return `INCONCLUSIVE (some checks could not get an answer)${shard}`;
  const failed = (['MUST', 'SHOULD'] as const).some((l) => (l === 'MUST' || report.options.strict) && s.levels[l].fail > 0);
  if (!failed) return `REGRESSED (${regressed}; no ${judged} failure)${shard}`;
  return `NOT CONFORMANT (${judged} failures${regressed ? `; ${regressed}` : ''})${shard}`;
}

/** "51/51" for a judged level (pass over pass+fail+error), "7 recorded" for OBSERVE. */
export function levelFigure(report: Report, level: Level): string {
  const v = report.summary.levels[level];
  return level === 'OBSERVE' ? `${v.observed} recorded` : `${v.pass}/${v.pass + v.fail + v.error}`;
}

/** "MUST 51/51, SHOULD 9/10, OBSERVE 7 recorded" */
export const compatibility = (report: Report): string => LEVELS.map((l) => `${l} ${levelFigure(report, l)}`).join(', ');

export interface Finding {
  /** REGRESSION (pass → fail against the baseline), FAIL or ERROR. */
  kind: 'REGRESSION' | 'FAIL' | 'ERROR';
  check: CheckResult;
}

/** Every failed or errored check: regressions first, then failures (MUST before SHOULD), then errors. */
export function findings(report: Report): Finding[] {
  const regressed = new Set(driftOf(report, 'regression'));
  const rank = (c: CheckResult) => (regressed.has(c.id) ? 0 : c.verdict === 'fail' ? 1 + LEVELS.indexOf(c.level) : 9);
  return report.checks
    .filter((c) => c.verdict === 'fail' || c.verdict === 'error')
    .sort((a, b) => rank(a) - rank(b) || a.id.localeCompare(b.id))
    .map((check) => ({ kind: regressed.has(check.id) ? 'REGRESSION' : check.verdict === 'fail' ? 'FAIL' : 'ERROR', check }));
}

/** The ids of the checks of one drift kind. */
export const driftOf = (report: Report, kind: DriftKind): string[] => (report.drift?.checks ?? []).filter((d) => d.kind === kind).map((d) => d.id);

/** "401 Invalid API key", or what stands for it when the check has no outcome. */
export const observed = (c: CheckResult): string => c.outcome ?? (c.verdict === 'not-verified' ? `not verified: ${c.reason ?? ''}` : '(no answer)');

export const DRIFT_LABEL: Record<DriftKind, string> = {
  regression: 'regression',
  fixed: 'fixed',
  'still-failing': 'still failing',
  'behaviour-changed': 'behaviour changed',
  'verdict-changed': 'verdict changed',
  new: 'new',
  removed: 'removed',
  unchanged: 'unchanged',
};
