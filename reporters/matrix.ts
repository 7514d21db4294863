// Several targets side by side (`--compare a/report.json --compare b/report.json`): rows are
// checks, columns are targets. A row diverges when the targets' verdicts or outcomes differ, or
// a target lacks the check — OBSERVE rows included, which is what they are recorded for.
import { join } from 'node:path';
import { writeRedacted } from '../src/secrets.js';
import type { Level } from '../src/spec.js';
import { mdCode, mdText } from './markdown.js';
import type { Report, Verdict } from './model.js';

export interface MatrixCell {
  verdict: Verdict;
  outcome?: string;
}

export interface Matrix {
  schemaVersion: 1;
  targets: Array<{ label: string; url: string; report: string; startedAt: string; toolVersion: string; specSha256: string; exitCode: number }>;
  summary: { checks: number; divergent: number; divergentByLevel: Record<Level, number> };
  /** In check-id order; `cells[i]` is the i-th target's result, null when its report lacks the check. */
  rows: Array<{ id: string; level: Level; clause: string; title: string; divergent: boolean; cells: Array<MatrixCell | null> }>;
}

const cellKey = (c: MatrixCell | null) => (c ? `${c.verdict}\n${c.outcome ?? ''}` : '');

export function buildMatrix(inputs: Array<{ path: string; report: Report }>): Matrix {
  const labels = inputs.map(({ report }, i) => {
    const same = inputs.slice(0, i).filter((x) => x.report.target.name === report.target.name).length;
    return same ? `${report.target.name} (${same + 1})` : report.target.name;
  });
  const byId = inputs.map(({ report }) => new Map(report.checks.map((c) => [c.id, c])));
  const ids = [...new Set(byId.flatMap((m) => [...m.keys()]))].sort();
  const divergentByLevel: Record<Level, number> = { MUST: 0, SHOULD: 0, OBSERVE: 0 };
  const rows = ids.map((id) => {
    const found = byId.map((m) => m.get(id));
    const any = found.find((c) => c)!;
    const cells = found.map((c) => (c ? { verdict: c.verdict, ...(c.outcome !== undefined && { outcome: c.outcome }) } : null));
    const divergent = new Set(cells.map(cellKey)).size > 1;
    if (divergent) divergentByLevel[any.level]++;
    return { id, level: any.level, clause: any.clause, title: any.title, divergent, cells };
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
    summary: { checks: rows.length, divergent: rows.filter((r) => r.divergent).length, divergentByLevel },
    rows,
  };
}

const cellText = (c: MatrixCell | null) => (c ? `${c.verdict === 'fail' || c.verdict === 'error' ? `**${c.verdict}**` : c.verdict}${c.outcome !== undefined ? ` ${mdCode(c.outcome)}` : ''}` : '— (absent)');

export function renderMatrixMarkdown(m: Matrix): string {
  const head = ['', 'check', 'level', ...m.targets.map((t) => mdText(t.label))];
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const table = (rows: Matrix['rows']) => [row(head), row(head.map(() => '---')), ...rows.map((r) => row([r.divergent ? '≠' : '', mdCode(r.id), r.level, ...r.cells.map(cellText)]))];
  const divergent = m.rows.filter((r) => r.divergent);
  const s = m.summary;
  const specs = new Set(m.targets.map((t) => t.specSha256));
  return [
    `# FFmpeg API conformance — ${m.targets.length} targets compared`,
    '',
    `**${s.divergent} of ${s.checks} checks diverge** (MUST ${s.divergentByLevel.MUST}, SHOULD ${s.divergentByLevel.SHOULD}, OBSERVE ${s.divergentByLevel.OBSERVE}): the targets' verdicts or observed outcomes differ.${specs.size > 1 ? ' The reports were made against different specs.' : ''}`,
    '',
    ...m.targets.map((t) => `- **${mdText(t.label)}** ${mdCode(t.url || t.label)} — ${mdCode(t.report)}, ${t.startedAt}, exit code ${t.exitCode}`),
    '',
    `## Divergences (${divergent.length})`,
    '',
    ...(divergent.length ? table(divergent) : ['Every check has the same verdict and outcome on every target.']),
    '',
    `## All checks (${m.rows.length})`,
    '',
    ...table(m.rows),
    '',
  ].join('\n');
}

/** Writes matrix.json and matrix.md into the directory; returns their paths. */
export function writeMatrix(m: Matrix, dir: string): string[] {
  const files = [join(dir, 'matrix.json'), join(dir, 'matrix.md')];
  writeRedacted(files[0]!, JSON.stringify(m, null, 2) + '\n');
  writeRedacted(files[1]!, renderMatrixMarkdown(m));
  return files;
}

/** The console summary of a comparison: each divergent row, then the count. */
export function matrixLines(m: Matrix, files: string[]): string[] {
  const cell = (c: MatrixCell | null) => (c ? `${c.verdict}${c.outcome !== undefined ? ` (${c.outcome})` : ''}` : 'absent');
  return [
    ...m.rows.filter((r) => r.divergent).map((r) => `  ≠ ${r.id} [${r.level}] ${r.cells.map((c, i) => `${m.targets[i]!.label}: ${cell(c)}`).join(' | ')}`),
    '',
    `${m.summary.divergent ? 'DIVERGENT' : 'SAME'} — ${m.summary.divergent} of ${m.summary.checks} checks diverge across ${m.targets.length} targets`,
    ...files.map((f) => `  matrix: ${f}`),
  ];
}
