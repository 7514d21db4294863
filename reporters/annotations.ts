// GitHub annotations (workflow commands) for a run under GitHub Actions (GITHUB_ACTIONS=true): one
// `::error` or `::warning` per broken clause, titled with the clause and naming its checks, so a
// failure shows on the run's page without opening the log. The lines go out through the run's
// writers, which redact them (core/secrets.ts). Escaping as GitHub's runner reads it back
// (toolkit's command.ts): in the message % CR LF, in a property % CR LF : and ,.
import type { ClauseFinding, Report } from './model.js';
import { findingLine, groupedFindings } from './text.js';

export const escapeData = (s: string): string => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
export const escapeProperty = (s: string): string => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** GitHub shows at most 10 annotations of each kind per step: the most important come first, the rest is summed up. */
const MAX = 10;

export function annotationLines(report: Report): string[] {
  const { regressions, others } = groupedFindings(report);
  const judged = (g: ClauseFinding) => g.level === 'MUST' || (g.level === 'SHOULD' && report.options.strict);
  const all = [
    ...regressions.map((g) => ({ g, kind: 'error', what: 'regression' })),
    ...others.map((g) => ({ g, kind: g.kind === 'FAIL' && judged(g) ? 'error' : 'warning', what: g.kind === 'FAIL' ? 'fail' : 'error' })),
  ];
  const lines = all.slice(0, MAX).map(({ g, kind, what }) => {
    const title = `${g.clause} (${g.level}) ${what}`;
    return `::${kind} title=${escapeProperty(`FFmpeg API conformance: ${title}`)}::${escapeData(`${findingLine(g)}\nchecks: ${g.checks.join(', ')}`)}`;
  });
  if (all.length > MAX) lines.push(`::warning title=${escapeProperty('FFmpeg API conformance')}::${escapeData(`${all.length - MAX} more broken clauses: see the job summary`)}`);
  return lines;
}
