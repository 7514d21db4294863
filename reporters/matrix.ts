// Several targets side by side (`--compare a/report.json --compare b/report.json`): rows are
// checks, columns are targets. A row diverges only on a real difference: the verdict, the status,
// the documented error text, or the recorded value of an OBSERVE check — or a target lacks the
// check. How many answers an aggregate judged, or an undocumented error text, is not a divergence.
// A check verified on one target and not verified on another cannot be compared: "not comparable".
import { join } from 'node:path';
import { writeRedacted } from '../core/secrets.js';
import type { Level } from '../core/spec.js';
import { badge, esc, htmlPage } from './html.js';
import { mdCode, mdText } from './markdown.js';
import type { Report } from './model.js';
import type { Verdict } from '../core/results.js';

interface MatrixCell {
  verdict: Verdict;
  outcome?: string;
}

/** same: every target agrees; divergent: a real difference; not-comparable: verified on some targets only. */
type RowStatus = 'same' | 'divergent' | 'not-comparable';

export interface Matrix {
  schemaVersion: 1;
  targets: Array<{ label: string; url: string; report: string; startedAt: string; toolVersion: string; specSha256: string; exitCode: number }>;
  summary: { checks: number; divergent: number; notComparable: number; divergentByLevel: Record<Level, number> };
  /** In check-id order; `cells[i]` is the i-th target's result, null when its report lacks the check. */
  rows: Array<{ id: string; level: Level; clause: string; title: string; status: RowStatus; divergent: boolean; cells: Array<MatrixCell | null> }>;
}

/**
 * The error texts the contract documents, as the reports record them (spec.errorTexts, from the
 * spec's error schemas). A report.json written before that field existed falls back to the
 * matrix's former reading: the texts its checks quote in their expected answers (`"error":"..."`),
 * so an older report compares as it always did.
 */
function documentedTexts(reports: Report[]): Set<string> {
  const texts = new Set<string>();
  for (const r of reports) {
    if (r.spec.errorTexts) for (const t of r.spec.errorTexts) texts.add(t);
    else for (const c of r.checks) for (const m of c.expected.matchAll(/"error":("(?:[^"\\]|\\.)*")/g)) texts.add(JSON.parse(m[1]!) as string);
  }
  return texts;
}

/**
 * What of a cell is compared: an OBSERVE check's recorded value as it is; otherwise the verdict,
 * the status and the error text when the contract documents it ("3 answers judged" and
 * "400 Bad request" against "400 (not JSON)" compare equal when the verdicts agree).
 */
function comparable(c: MatrixCell, documented: Set<string>): string {
  if (c.verdict === 'observed') return `observed\n${c.outcome ?? ''}`;
  const m = /^(\d{3})(?: (.*))?$/s.exec(c.outcome ?? '');
  if (!m) return c.verdict;
  return `${c.verdict}\n${m[1]}\n${m[2] !== undefined && documented.has(m[2]) ? m[2] : ''}`;
}

function rowStatus(cells: Array<MatrixCell | null>, documented: Set<string>): RowStatus {
  if (cells.some((c) => !c)) return 'divergent';
  const verified = (cells as MatrixCell[]).filter((c) => c.verdict !== 'not-verified');
  if (new Set(verified.map((c) => comparable(c, documented))).size > 1) return 'divergent';
  return verified.length && verified.length < cells.length ? 'not-comparable' : 'same';
}

export function buildMatrix(inputs: Array<{ path: string; report: Report }>): Matrix {
  const labels = inputs.map(({ report }, i) => {
    const same = inputs.slice(0, i).filter((x) => x.report.target.name === report.target.name).length;
    return same ? `${report.target.name} (${same + 1})` : report.target.name;
  });
  const documented = documentedTexts(inputs.map((x) => x.report));
  const byId = inputs.map(({ report }) => new Map(report.checks.map((c) => [c.id, c])));
  const ids = [...new Set(byId.flatMap((m) => [...m.keys()]))].sort();
  const divergentByLevel: Record<Level, number> = { MUST: 0, SHOULD: 0, OBSERVE: 0 };
  const rows = ids.map((id) => {
    const found = byId.map((m) => m.get(id));
    const any = found.find((c) => c)!;
    const cells = found.map((c) => (c ? { verdict: c.verdict, ...(c.outcome !== undefined && { outcome: c.outcome }) } : null));
    const status = rowStatus(cells, documented);
    if (status === 'divergent') divergentByLevel[any.level]++;
    return { id, level: any.level, clause: any.clause, title: any.title, status, divergent: status === 'divergent', cells };
  });
  return {
    schemaVersion: 1,
    targets: inputs.map(({ path, report }, i) => ({
      label: labels[i]!,
      url: report.target.url,
      report: path,
      startedAt: report.startedAt,
      toolVersion: report.tool.version,
      specSha256: report.spec.sha256,
      exitCode: report.summary.exitCode,
    })),
    summary: { checks: rows.length, divergent: rows.filter((r) => r.divergent).length, notComparable: rows.filter((r) => r.status === 'not-comparable').length, divergentByLevel },
    rows,
  };
}

const cellText = (c: MatrixCell | null) => (c ? `${c.verdict === 'fail' || c.verdict === 'error' ? `**${c.verdict}**` : c.verdict}${c.outcome !== undefined ? ` ${mdCode(c.outcome)}` : ''}` : '— (absent)');

const MARK: Record<RowStatus, string> = { divergent: '≠', 'not-comparable': '~', same: '' };

/** The headline of a comparison, for every view. */
function matrixHeadline(m: Matrix): string {
  const s = m.summary;
  const specs = new Set(m.targets.map((t) => t.specSha256));
  return `${s.divergent} of ${s.checks} checks diverge (MUST ${s.divergentByLevel.MUST}, SHOULD ${s.divergentByLevel.SHOULD}, OBSERVE ${s.divergentByLevel.OBSERVE}), ${s.notComparable} not comparable (verified on some targets only)${specs.size > 1 ? '; the reports were made against different specs' : ''}`;
}

function renderMatrixMarkdown(m: Matrix): string {
  const head = ['', 'check', 'level', ...m.targets.map((t) => mdText(t.label))];
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const table = (rows: Matrix['rows']) => [row(head), row(head.map(() => '---')), ...rows.map((r) => row([MARK[r.status], mdCode(r.id), r.level, ...r.cells.map(cellText)]))];
  const divergent = m.rows.filter((r) => r.status === 'divergent');
  const apart = m.rows.filter((r) => r.status === 'not-comparable');
  return [
    `# FFmpeg API conformance — ${m.targets.length} targets compared`,
    '',
    `**${matrixHeadline(m)}.** A divergence is a difference in verdict, status or documented error text, or in an OBSERVE check's recorded value.`,
    '',
    ...m.targets.map((t) => `- **${mdText(t.label)}** ${mdCode(t.url || t.label)} — ${mdCode(t.report)}, ${t.startedAt}, exit code ${t.exitCode}`),
    '',
    `## Divergences (${divergent.length})`,
    '',
    ...(divergent.length ? table(divergent) : ['No check diverges between the targets.']),
    '',
    `## Not comparable (${apart.length})`,
    '',
    ...(apart.length ? table(apart) : ['Every check was verified on every target, or on none.']),
    '',
    `## All checks (${m.rows.length})`,
    '',
    '<details><summary>The table of every check</summary>',
    '',
    ...table(m.rows),
    '',
    '</details>',
    '',
  ].join('\n');
}

function renderMatrixHtml(m: Matrix): string {
  const cell = (c: MatrixCell | null) => (c ? `${badge(`v-${c.verdict}`, c.verdict)}${c.outcome !== undefined ? ` <code>${esc(c.outcome)}</code>` : ''}` : '<span class="muted">absent</span>');
  const table = (id: string, rows: Matrix['rows']) =>
    `<table id="${id}"><thead><tr><th></th><th>check</th><th>level</th>${m.targets.map((t) => `<th>${esc(t.label)}</th>`).join('')}</tr></thead><tbody>
${rows.map((r) => `<tr data-id="${esc(r.id)}" data-status="${r.status}"><td>${MARK[r.status]}</td><td><code>${esc(r.id)}</code><br><span class="muted">${esc(r.title)}</span></td><td>${r.level}</td>${r.cells.map((c) => `<td>${cell(c)}</td>`).join('')}</tr>`).join('\n')}
</tbody></table>`;
  const section = (id: string, title: string, rows: Matrix['rows'], none: string) => `<h2>${esc(title)} (${rows.length})</h2>${rows.length ? table(id, rows) : `<p id="${id}">${esc(none)}</p>`}`;
  return htmlPage(
    `Conformance — ${m.targets.length} targets compared`,
    `<h1>FFmpeg API conformance — ${m.targets.length} targets compared</h1>
<p><span class="verdict exit-${m.summary.divergent ? 1 : 0}" id="verdict">${esc(m.summary.divergent ? 'DIVERGENT' : 'SAME')}</span> ${esc(matrixHeadline(m))}</p>
<p class="muted">A divergence is a difference in verdict, status or documented error text, or in an OBSERVE check's recorded value.</p>
<ul>${m.targets.map((t) => `<li><strong>${esc(t.label)}</strong> <code>${esc(t.url || t.label)}</code> — <code>${esc(t.report)}</code>, ${esc(t.startedAt)}, exit code ${t.exitCode}</li>`).join('')}</ul>
${section('divergent', 'Divergences', m.rows.filter((r) => r.status === 'divergent'), 'No check diverges between the targets.')}
${section('not-comparable', 'Not comparable', m.rows.filter((r) => r.status === 'not-comparable'), 'Every check was verified on every target, or on none.')}
<details><summary>All checks (${m.rows.length})</summary>${table('all', m.rows)}</details>`,
  );
}

/** Writes matrix.json, matrix.md and matrix.html into the directory; returns their paths. */
export function writeMatrix(m: Matrix, dir: string): string[] {
  const views: Array<[string, string]> = [['matrix.json', JSON.stringify(m, null, 2) + '\n'], ['matrix.md', renderMatrixMarkdown(m)], ['matrix.html', renderMatrixHtml(m)]];
  return views.map(([name, text]) => {
    const file = join(dir, name);
    writeRedacted(file, text);
    return file;
  });
}

/** The console summary of a comparison: each divergent row, then the count. */
export function matrixLines(m: Matrix, files: string[]): string[] {
  const cell = (c: MatrixCell | null) => (c ? `${c.verdict}${c.outcome !== undefined ? ` (${c.outcome})` : ''}` : 'absent');
  return [
    ...m.rows.filter((r) => r.status !== 'same').map((r) => `  ${MARK[r.status]} ${r.id} [${r.level}] ${r.cells.map((c, i) => `${m.targets[i]!.label}: ${cell(c)}`).join(' | ')}`),
    '',
    `${m.summary.divergent ? 'DIVERGENT' : 'SAME'} — ${m.summary.divergent} of ${m.summary.checks} checks diverge across ${m.targets.length} targets; ${m.summary.notComparable} not comparable`,
    ...files.map((f) => `  matrix: ${f}`),
  ];
}
