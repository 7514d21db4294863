// Writes every view of a report into the report directory and renders the console summary.
import { join } from 'node:path';
import { LEVELS } from '../src/spec.js';
import { writeRedacted } from '../src/secrets.js';
import type { CheckResult, Report } from './model.js';

export function writeReports(report: Report, dir: string): string[] {
  const files = [join(dir, 'report.json')];
  writeRedacted(files[0]!, JSON.stringify(report, null, 2) + '\n');
  return files;
}

export function progressLine(r: CheckResult): string | undefined {
  if (r.verdict === 'fail') return `  ✗ ${r.id} [${r.level}] ${r.message?.split('\n')[0] ?? ''}`;
  if (r.verdict === 'error') return `  ! ${r.id} [${r.level}] error: ${r.message ?? ''}`;
  return undefined;
}

export function summaryLines(report: Report, files: string[]): string[] {
  const s = report.summary;
  const lines = [''];
  for (const level of LEVELS) {
    const v = s.levels[level];
    const judged = v.pass + v.fail + v.error;
    if (level === 'OBSERVE') lines.push(`  OBSERVE  ${v.observed} recorded${v.error ? `, ${v.error} error` : ''}${v['not-verified'] ? `, ${v['not-verified']} not verified` : ''}`);
    else lines.push(`  ${level.padEnd(7)}  ${v.pass}/${judged} pass${v.fail ? `, ${v.fail} FAIL` : ''}${v.error ? `, ${v.error} error` : ''}${v['not-verified'] ? `, ${v['not-verified']} not verified` : ''}`);
  }
  const verdict = report.interrupted
    ? 'INTERRUPTED — the report holds the checks that ran'
    : s.exitCode === 0
      ? `CONFORMANT (no ${report.options.strict ? 'MUST or SHOULD' : 'MUST'} failure)`
      : s.exitCode === 1
        ? `NOT CONFORMANT (${report.options.strict ? 'MUST or SHOULD' : 'MUST'} failures above)`
        : 'INCONCLUSIVE (some checks could not get an answer)';
  lines.push('', `${verdict} — ${s.total} checks in ${(report.durationMs / 1000).toFixed(1)} s`, ...files.map((f) => `  report: ${f}`));
  return lines;
}
