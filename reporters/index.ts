// Writes every view of a report into the report directory and renders the console summary.
// report.json is the source of truth; the other files are pure renderings of it.
import { resolve } from 'node:path';
import { styleText } from 'node:util';
import { LEVELS } from '../core/spec.js';
import { styleMark, writeRedacted, writeRedactedTogether } from '../core/secrets.js';
import { renderHtml } from './html.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import type { ClauseFinding, Report, RunVerdict } from './model.js';
import { DRIFT_LABEL, findingLine, groupedFindings, levelFigure, verdictText } from './text.js';
import type { CheckResult } from '../core/results.js';

/** Every file of a report: name → renderer. */
export const VIEWS: Record<string, (report: Report) => string> = {
  'report.json': (report) => JSON.stringify(report, null, 2) + '\n',
  'report.md': renderMarkdown,
  'report.html': renderHtml,
  'junit.xml': renderJunit,
};

/**
 * Writes the views `outputs` names (view file name → path; by default all four in `dir`). Those in
 * `dir` are written together: all of them appear, or none (core/files.ts); a view given a path of
 * its own (--output-file.NAME) is written on its own, by rename as well.
 */
export function writeReports(report: Report, dir: string, outputs?: Record<string, string>): string[] {
  const chosen = Object.entries(VIEWS).filter(([name]) => !outputs || outputs[name] !== undefined);
  const own = (name: string) => outputs !== undefined && resolve(outputs[name]!) !== resolve(dir, name);
  const files = writeRedactedTogether(
    dir,
    chosen.filter(([name]) => !own(name)).map(([name, render]) => [name, render(report)]),
  );
  for (const [name, render] of chosen.filter(([name]) => own(name))) {
    writeRedacted(outputs![name]!, render(report));
    files.push(outputs![name]!);
  }
  return files;
}

/**
 * Colour for the console, through node's util.styleText: only on a terminal (or with FORCE_COLOR),
 * never with NO_COLOR (which wins over FORCE_COLOR here, as no-color.org asks).
 */
export function paint(style: Style | Style[], text: string): string {
  if (process.env.NO_COLOR) return text;
  // One style per call: node 20's styleText skips its terminal check for a list of styles.
  const styled = ([] as Style[]).concat(style).reduceRight((t, s) => styleText(s, t, { stream: process.stdout }), text);
  return styled.replace(/\u001b\[([\d;]+)m/g, (_, sgr: string) => styleMark(sgr)); // out() writes them after escaping the rest
}
type Style = Extract<Parameters<typeof styleText>[0], string>;

const VERDICT_STYLE: Record<RunVerdict, Style[]> = {
  conformant: ['bold', 'green'],
  partial: ['bold', 'green'],
  'not-conformant': ['bold', 'red'],
  regressed: ['bold', 'red'],
  inconclusive: ['bold', 'yellow'],
  interrupted: ['bold', 'yellow'],
  'could-not-run': ['bold', 'red'],
};

/** A failure as it happens: its id only. What it expected and got is in the summary, once, grouped by clause. */
export function progressLine(r: CheckResult): string | undefined {
  if (r.verdict === 'fail') return `  ${paint('red', '✗')} ${r.id} [${r.level}] ${paint('red', 'FAIL')}`;
  if (r.verdict === 'error') return `  ${paint('yellow', '!')} ${r.id} [${r.level}] ${paint('yellow', 'error')}`;
  return undefined;
}

export function summaryLines(report: Report, files: string[]): string[] {
  const s = report.summary;
  const lines = [''];
  // The findings lead, one line per broken clause (each failure once): regressions first.
  const { regressions, others } = groupedFindings(report);
  const block = (title: string, groups: ClauseFinding[]) => {
    if (!groups.length) return;
    lines.push(title);
    // the marks of the lines printed as checks finish (progressLine): ✗ a failure, ! an error
    for (const g of groups) lines.push(`    ${g.kind === 'FAIL' ? paint('red', '✗') : paint('yellow', '!')} ${findingLine(g)}`, `        ${g.checks.join(', ')}`);
    lines.push('');
  };
  block(`  REGRESSIONS against the baseline (${report.drift?.baseline.path ?? ''}), was pass, now fail:`, regressions);
  block(`  FINDINGS (${others.length} clause${others.length === 1 ? '' : 's'}):`, others);
  for (const level of LEVELS) {
    const v = s.levels[level];
    const extra = [v.fail && paint('red', `${v.fail} FAIL`), v.error && paint('yellow', `${v.error} error`)].filter(Boolean).join(', ');
    const figure = levelFigure(report, level);
    lines.push(`  ${level.padEnd(7)}  ${extra || level === 'OBSERVE' ? figure : paint('green', figure)}${extra ? `, ${extra}` : ''}`);
  }
  for (const g of s.gaps) lines.push(`  not verified: ${g.category}, ${g.checks.length} check${g.checks.length > 1 ? 's' : ''} — to verify: ${g.remedy}`);
  const t = report.throttle;
  if (t) lines.push(`  throttled: ${t.answers} answer${t.answers > 1 ? 's' : ''} 429/503 waited out, ${(t.waitedMs / 1000).toFixed(1)} s spent waiting, concurrency down to ${t.concurrency}`);
  const drift = report.drift;
  if (drift) {
    const moved = (Object.keys(DRIFT_LABEL) as Array<keyof typeof DRIFT_LABEL>).filter((k) => k !== 'unchanged' && drift.counts[k]);
    lines.push(`  drift    ${moved.length ? moved.map((k) => `${DRIFT_LABEL[k]}: ${drift.counts[k]}`).join(', ') : 'none'} (unchanged: ${drift.counts.unchanged})`);
    // with a history (--history): since when the still-failing checks fail
    const since = new Map<string, string[]>();
    for (const d of drift.checks) if (d.since) since.set(`#${d.since.run} (${d.since.startedAt})`, [...(since.get(`#${d.since.run} (${d.since.startedAt})`) ?? []), d.id]);
    for (const [run, ids] of since) lines.push(`  still failing since ${run}: ${ids.join(', ')}`);
  }
  lines.push('', verdictLine(report), ...files.map((f) => `  report: ${f}`));
  return lines;
}

/** The verdict, the number of checks and the time: the one line --quiet prints. */
export function verdictLine(report: Report): string {
  const s = report.summary;
  return `${paint(VERDICT_STYLE[s.verdict], verdictText(report))} — ${s.total} checks in ${(report.durationMs / 1000).toFixed(1)} s`;
}
