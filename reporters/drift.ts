// Drift against a baseline report: how every check moved since then. A regression (pass → fail)
// makes the run exit 1 even when it is still conformant (e.g. a SHOULD check without --strict).
import { DRIFT_KINDS, scopeOf, summarize, type Drift, type DriftKind, type DriftSide, type Report } from './model.js';
import type { CheckResult } from '../core/results.js';

const side = (c: CheckResult): DriftSide => ({ verdict: c.verdict, ...(c.outcome !== undefined && { outcome: c.outcome }) });

export function classify(before: CheckResult | undefined, after: CheckResult | undefined): DriftKind {
  if (!before) return 'new';
  if (!after) return 'removed';
  const [b, a] = [before.verdict, after.verdict];
  if (b === 'pass' && a === 'fail') return 'regression';
  if (b === 'fail' && a === 'pass') return 'fixed';
  if (b === 'fail' && a === 'fail') return 'still-failing';
  if (b !== a) return 'verdict-changed';
  return before.outcome === after.outcome ? 'unchanged' : 'behaviour-changed';
}

function computeDrift(baseline: Report, current: Report, baselinePath: string): Drift {
  const before = new Map(baseline.checks.map((c) => [c.id, c]));
  const after = new Map(current.checks.map((c) => [c.id, c]));
  const counts = Object.fromEntries(DRIFT_KINDS.map((k) => [k, 0])) as Record<DriftKind, number>;
  const ids = [...new Set([...before.keys(), ...after.keys()])].sort();
  const checks = ids.map((id) => {
    const [b, a] = [before.get(id), after.get(id)];
    const kind = classify(b, a);
    counts[kind]++;
    return { id, level: (a ?? b)!.level, kind, ...(b && { before: side(b) }), ...(a && { after: side(a) }) };
  });
  return {
    baseline: { path: baselinePath, startedAt: baseline.startedAt, target: baseline.target.name, toolVersion: baseline.tool.version, specSha256: baseline.spec.sha256 },
    counts,
    checks,
  };
}

/** The report with its drift against the baseline, and the summary (exit code) that accounts for it. */
export function withDrift(report: Report, baseline: Report, baselinePath: string): Report {
  const drift = computeDrift(baseline, report, baselinePath);
  return { ...report, drift, summary: { ...summarize(report.checks, report.options, report.interrupted, drift.counts.regression), ...scopeOf(report, report.checks.length) } };
}
