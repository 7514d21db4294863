// The wording every view shares (console, Markdown, HTML, JUnit): the verdict line, the
// compatibility figure per level, and the findings in the order a reader needs them.
import { LEVELS, type Level } from '../core/spec.js';
import { groupFindings, type ClauseFinding, type DriftKind, type Report } from './model.js';
import type { CheckResult } from '../core/results.js';

/** "quota (4), writes (2)": the declared gaps of a run, by category. */
const gapList = (report: Report): string => report.summary.gaps.map((g) => `${g.category} (${g.checks.length})`).join(', ');

/** Why a run is inconclusive, in a few words. */
function inconclusiveWhy(report: Report): string {
  const judged = report.checks.filter((c) => c.level === 'MUST' || (report.options.strict && c.level === 'SHOULD'));
  const why = [
    judged.some((c) => c.cause === 'key-rejected') && 'the target refused the valid key',
    (report.throttle?.answers ?? 0) > 0 && judged.some((c) => c.verdict === 'error') && 'the target throttled the run',
    judged.some((c) => c.verdict === 'error' && !/^throttled/.test(c.message ?? '')) && 'some checks got no answer',
    judged.some((c) => c.cause === 'budget') && 'the request budget (--max-requests) ran out before every check was verified',
  ].filter(Boolean);
  return why.join('; ') || 'some checks could not be verified';
}

/** The run's verdict in one line, e.g. "NOT CONFORMANT (MUST failures)", "CONFORMANT (partial): ...". */
export function verdictText(report: Report): string {
  const s = report.summary;
  const judged = report.options.strict ? 'MUST or SHOULD' : 'MUST';
  const regressions = report.drift?.counts.regression ?? 0;
  const regressed = regressions ? `${regressions} regression${regressions > 1 ? 's' : ''} against the baseline` : '';
  const flags = s.scope?.by.filter((b) => !b.startsWith('--shard ')) ?? [];
  // A narrowed run says so in every view: CONFORMANT alone means the whole catalog was in scope.
  const narrowed = s.scope && flags.length ? ` [narrowed: ${s.scope.checks} of ${s.scope.of} checks, ${flags.join(' ')}]` : '';
  const shard = `${report.shard ? ` [shard ${report.shard.index}/${report.shard.count}]` : ''}${narrowed}`;
  switch (s.verdict) {
    case 'interrupted':
      return `INTERRUPTED — partial report of the checks that ran${shard}`;
    case 'could-not-run':
      return `COULD NOT RUN (the target gave no HTTP answer: ${report.checks[0]?.message ?? 'unreachable'})${shard}`;
    case 'inconclusive':
      return `INCONCLUSIVE (${inconclusiveWhy(report)})${shard}`;
    case 'partial':
      return `CONFORMANT (partial): no ${judged} failure, but not every ${judged} check was verified — not verified: ${gapList(report)}${s.exitCode ? ' (--require-complete)' : ''}${shard}`;
    case 'regressed':
      return `REGRESSED (${regressed}; no ${judged} failure)${shard}`;
    case 'not-conformant':
      return `NOT CONFORMANT (${judged} failures${regressed ? `; ${regressed}` : ''})${shard}`;
    default:
      return `CONFORMANT (every applicable ${judged} check verified, none failed)${shard}`;
  }
}

/**
 * "11 pass of 54 — 43 not verified; 12 not applicable" for a judged level, "7 recorded" for OBSERVE
 * (", 2 not verified" when some were not): the figures of a level add up to its checks, and the
 * levels to the run's total, in every view.
 */
export function levelFigure(report: Report, level: Level): string {
  const v = report.summary.levels[level];
  if (level === 'OBSERVE') return `${v.observed} recorded${v['not-verified'] ? `, ${v['not-verified']} not verified` : ''}`;
  const cov = report.summary.coverage?.[level] ?? { applicable: v.pass + v.fail + v.error, verified: v.pass + v.fail + v.error };
  const missing = cov.applicable - cov.verified;
  const all = v.pass + v.fail + v.error + v['not-verified'] + v.observed;
  const inapplicable = all - cov.applicable;
  return `${v.pass} pass of ${cov.applicable}${missing ? ` — ${missing} not verified` : ''}${inapplicable > 0 ? `; ${inapplicable} not applicable` : ''}`;
}

/** "MUST 51 pass of 51, SHOULD 9 pass of 10, OBSERVE 7 recorded" */
export const compatibility = (report: Report): string => LEVELS.map((l) => `${l} ${levelFigure(report, l)}`).join(', ');

/** Up to `max` items, then how many more: "a or b or c (and 2 more)". */
const some = (items: string[], sep: string, max = 3): string => items.slice(0, max).join(sep) + (items.length > max ? ` (and ${items.length - max} more)` : '');

/** One grouped finding in a line, in the contract's words: "auth.missing-header (MUST) — 10 checks: expected 400 {...}, got 401 {...}". */
export function findingLine(g: ClauseFinding): string {
  const n = `${g.checks.length} check${g.checks.length > 1 ? 's' : ''}`;
  return `${g.clause} (${g.level}) — ${n}${g.kind === 'ERROR' ? ' errored' : ''}: ${some(g.messages, '; ')}`;
}

/**
 * The findings grouped by broken clause, each failure once: the regressions against the baseline
 * (pass → fail) lead, grouped the same way; the other failures and errors follow.
 */
export function groupedFindings(report: Report): { regressions: ClauseFinding[]; others: ClauseFinding[] } {
  const regressed = new Set(driftOf(report, 'regression'));
  return {
    regressions: groupFindings(report.checks.filter((c) => regressed.has(c.id))),
    others: groupFindings(report.checks.filter((c) => !regressed.has(c.id))),
  };
}


/** The ids of the checks of one drift kind. */
const driftOf = (report: Report, kind: DriftKind): string[] => (report.drift?.checks ?? []).filter((d) => d.kind === kind).map((d) => d.id);

/** The outcome label (status and error text), or what stands for it when the check has no outcome. */
export const observed = (c: CheckResult): string =>
  (c.outcome ?? (c.verdict === 'not-verified' ? `not verified: ${c.reason ?? ''}` : '(no answer)')) +
  (c.unseen?.length ? ` (not seen, out of this run's scope: ${c.unseen.length} request${c.unseen.length > 1 ? 's' : ''}, ${c.unseen.slice(0, 5).join(', ')}${c.unseen.length > 5 ? ', …' : ''})` : '');

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
