// report.md: fits a CI job summary (GitHub's step summary renders it as is). The verdict and the
// counts first, then every finding (regressions first), then the full per-clause table.
// Report content may come from a hostile target: every string is escaped or put in a code span.
import { LEVELS } from '../core/spec.js';
import { clauseOf, DRIFT_KINDS, type Report } from './model.js';
import { compatibility, DRIFT_LABEL, groupedFindings, levelFigure, observed, verdictText } from './text.js';
import { VERDICTS, type CheckResult } from '../core/results.js';

/**
 * Text in Markdown: no HTML, no emphasis, links, autolinks or table breaks, on one line. Redaction marks
 * stay as they are (literal text in Markdown), so that redacting the file again leaves them alone.
 */
export const mdText = (s: string): string =>
  s
    .replace(/\s*[\r\n]+\s*/g, ' ')
    .split(/(\[REDACTED:[A-Z0-9_]*\])/)
    .map((part, i) => (i % 2 ? part : part.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!).replace(/[\\`*_[\]|~#!]|:(?=\/\/)|(?<=www)\./gi, '\\$&')))
    .join('');

/** A code span that no content can break out of (on one line; `|` escaped for tables). */
export function mdCode(s: string): string {
  const text = s.replace(/[\r\n]+/g, ' ').replace(/\|/g, '\\|');
  const fence = '`'.repeat(Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length)) + 1);
  return `${fence} ${text} ${fence}`;
}

/** A fenced block longer than any backtick run inside it. */
function mdBlock(s: string): string {
  const fence = '`'.repeat(Math.max(2, ...(s.match(/`+/g) ?? []).map((r) => r.length)) + 1);
  return `${fence}text\n${s}\n${fence}`;
}

const row = (cells: Array<string | number>): string => `| ${cells.join(' | ')} |`;
const table = (head: string[], rows: Array<Array<string | number>>): string[] => [row(head), row(head.map(() => '---')), ...rows.map(row)];

export function renderMarkdown(report: Report): string {
  const s = report.summary;
  const lines: string[] = [
    `# FFmpeg API conformance — ${mdText(report.target.name)}`,
    '',
    `**${verdictText(report)}** · ${compatibility(report)} · ${s.total} checks · exit code ${s.exitCode}`,
    '',
  ];
  if (report.interrupted) lines.push('> **Interrupted:** the run was stopped; the checks that did not finish are not verified (interrupted).', '');
  if (report.shard) lines.push(`> **Shard ${report.shard.index}/${report.shard.count}:** this report holds one shard's checks; merge the shards' blobs with \`--merge-reports\` for the whole run.`, '');
  lines.push(
    ...table(
      ['level', ...VERDICTS, 'compatibility'],
      [
        ...LEVELS.map((l) => [`**${l}**`, ...VERDICTS.map((v) => s.levels[l][v]), levelFigure(report, l)]),
        ['all', ...VERDICTS.map((v) => s.verdicts[v]), `${s.total} checks`],
      ],
    ),
    '',
    `Target ${mdCode(report.target.url || report.target.name)}${report.target.bundledMock ? ' (bundled reference mock)' : ''} · spec ${mdText(report.spec.version)} (sha256 ${mdCode(report.spec.sha256.slice(0, 12))}) · ${mdText(report.tool.name)} ${mdText(report.tool.version)} · started ${report.startedAt} · ${(report.durationMs / 1000).toFixed(1)} s${report.options.strict ? ' · --strict' : ''}`,
    '',
  );

  const drift = report.drift;
  if (drift) {
    const changed = drift.checks.filter((d) => d.kind !== 'unchanged').sort((a, b) => DRIFT_KINDS.indexOf(a.kind) - DRIFT_KINDS.indexOf(b.kind) || a.id.localeCompare(b.id));
    const side = (x?: { verdict: string; outcome?: string }) => (x ? `${x.verdict}${x.outcome !== undefined ? ` ${mdCode(x.outcome)}` : ''}` : '—');
    lines.push(
      '## Drift against the baseline',
      '',
      `${DRIFT_KINDS.filter((k) => drift.counts[k]).map((k) => (k === 'regression' ? `**${DRIFT_LABEL[k]}: ${drift.counts[k]}**` : `${DRIFT_LABEL[k]}: ${drift.counts[k]}`)).join(' · ')} — baseline ${mdCode(drift.baseline.path)} (${mdText(drift.baseline.target)}, ${drift.baseline.startedAt})${drift.baseline.specSha256 !== report.spec.sha256 ? ' · the spec has changed since the baseline' : ''}${report.interrupted ? ' · the run was interrupted: checks that did not finish appear as not verified' : ''}`,
      '',
      ...(changed.length ? table(['change', 'check', 'level', 'before', 'after'], changed.map((d) => [d.kind === 'regression' ? '**regression**' : `${DRIFT_LABEL[d.kind]}${d.since ? ` since #${d.since.run} (${d.since.startedAt})` : ''}`, mdCode(d.id), d.level, side(d.before), side(d.after)])) : ['Every check is unchanged.']),
      '',
    );
  }

  const { regressions, others } = groupedFindings(report);
  const groups = [...regressions.map((g) => ({ g, kind: 'REGRESSION' })), ...others.map((g) => ({ g, kind: g.kind }))];
  const nChecks = groups.reduce((n, { g }) => n + g.checks.length, 0);
  lines.push(`## Findings (${groups.length} clause${groups.length === 1 ? '' : 's'}, ${nChecks} check${nChecks === 1 ? '' : 's'})`, '');
  if (!groups.length) lines.push('No check failed or errored.', '');
  const byId = new Map(report.checks.map((c) => [c.id, c]));
  groups.forEach(({ g, kind }, i) => {
    const cl = clauseOf(report, g.clause);
    const checks = g.checks.map((id) => byId.get(id)!);
    lines.push(
      `### ${i + 1}. ${kind} ${mdCode(g.clause)} (${g.level}) — ${g.checks.length} check${g.checks.length > 1 ? 's' : ''}`,
      '',
      `- **Clause:** ${mdCode(g.clause)} — ${mdText(cl.source)}`,
      `- **Documentation:** “${mdText(cl.quote)}”`,
      `- **Expected:** ${g.expected.map(mdText).join(' **or** ')}`,
      `- **Observed:** ${g.observed.map(mdCode).join(' or ')}`,
      `- **Finding${g.messages.length > 1 ? 's' : ''}:** ${g.messages.map(mdText).join(' · ')}`,
      `- **Checks:** ${g.checks.map(mdCode).join(', ')}`,
      '',
      '<details><summary>Each check</summary>',
      '',
      ...table(['check', 'level', 'title', 'observed', 'request'], checks.map((c) => [mdCode(c.id), c.level, mdText(c.title), mdCode(observed(c)), c.exchange ? mdCode(`${c.exchange.request.method} ${c.exchange.request.url}`) : ''])),
      '',
      ...checks.filter((c) => c.message?.includes('\n')).flatMap((c) => [`${mdCode(c.id)}:`, '', mdBlock(c.message!), '']),
      '</details>',
      '',
    );
  });

  lines.push(`## All checks (${report.checks.length})`, '', '<details><summary>The table of every check</summary>', '');
  lines.push(...table(['check', 'level', 'verdict', 'clause', 'source', 'expected', 'observed'], report.checks.map((c) => allRow(c, clauseOf(report, c.clause).source))), '', '</details>', '');
  return lines.join('\n');
}

const allRow = (c: CheckResult, source: string) => [mdCode(c.id), c.level, c.verdict === 'fail' || c.verdict === 'error' ? `**${c.verdict}**` : c.verdict, mdCode(c.clause), mdText(source), mdText(c.expected), mdCode(observed(c))];
