// The trend view of a history of runs (reporters/history.ts): history.md (for a CI job summary) and
// history.html (one self-contained page, no script, no network). The verdict of each run, a grid
// of checks by run, since when each current failure fails and when it last passed, the failures
// that recovered, the checks that flip between runs (flaky), how the OBSERVE checks changed
// (documentation drift), and the duration, requests and not-verified counts over runs (inline SVG).
// Every string that came from a target is escaped.
import { join } from 'node:path';
import type { HistoryCheck, HistoryEntry } from './history.js';
import { writeRedacted } from '../core/secrets.js';
import { esc, htmlPage } from './html.js';
import { mdCode, mdText } from './markdown.js';
import type { Report } from './model.js';
import type { Verdict } from '../core/results.js';

/** A run as the views name it: "#6 (2026-12-08 04:30)". */
interface RunRef {
  run: number;
  startedAt: string;
}
const ref = (e: HistoryEntry): RunRef => ({ run: e.run, startedAt: e.startedAt });
const runLabel = (r: RunRef): string => `#${r.run} (${r.startedAt.slice(0, 16).replace('T', ' ')})`;

/** A check that fails in the latest run: since which run (the first of its current streak), and the last run it passed before. */
interface CurrentFailure {
  id: string;
  level: string;
  clause: string;
  since: RunRef;
  lastPass?: RunRef;
}

/** A streak of failing runs of one clause's checks, and the run they passed again (none: still failing). */
interface Episode {
  clause: string;
  level: string;
  checks: string[];
  from: RunRef;
  to: RunRef;
  recovered?: RunRef;
}

interface Flaky {
  id: string;
  level: string;
  /** How many times the verdict went from pass to fail or back between consecutive runs. */
  flips: number;
}

interface ObserveChange {
  id: string;
  run: RunRef;
  before: string;
  after: string;
}

interface Trend {
  runs: HistoryEntry[];
  /** Every check of any run, in id order. */
  ids: string[];
  current: CurrentFailure[];
  episodes: Episode[];
  flaky: Flaky[];
  observe: ObserveChange[];
}

/** A check whose verdict flipped between pass and fail this many times in the history is flaky (a break and its fix are two). */
const FLAKY_FLIPS = 3;

/** The verdicts of one check in the runs where it was judged (pass or fail), with their runs. */
const judged = (runs: readonly HistoryEntry[], id: string) =>
  runs.flatMap((e) => {
    const c = e.checks[id];
    return c && (c.v === 'pass' || c.v === 'fail') ? [{ e, v: c.v }] : [];
  });

/**
 * Since which run the check fails, if it fails in the last run: the first run of its current
 * streak of failures (runs where it was not judged, e.g. not-verified, neither break nor extend it).
 */
function failingSince(runs: readonly HistoryEntry[], id: string): { since: RunRef; lastPass?: RunRef } | undefined {
  if (runs.at(-1)?.checks[id]?.v !== 'fail') return undefined;
  const seq = judged(runs, id);
  let i = seq.length - 1;
  while (i > 0 && seq[i - 1]!.v === 'fail') i--;
  const pass = i > 0 ? seq[i - 1]!.e : undefined;
  return { since: ref(seq[i]!.e), ...(pass && { lastPass: ref(pass) }) };
}

function buildTrend(runs: readonly HistoryEntry[]): Trend {
  const ids = [...new Set(runs.flatMap((e) => Object.keys(e.checks)))].sort();
  const info = (id: string): HistoryCheck => runs.findLast((e) => e.checks[id])!.checks[id]!;
  const flaky: Flaky[] = [];
  const episodes = new Map<string, Episode>();
  for (const id of ids) {
    const seq = judged(runs, id);
    const flips = seq.filter((x, i) => i > 0 && x.v !== seq[i - 1]!.v).length;
    if (flips >= FLAKY_FLIPS) {
      flaky.push({ id, level: info(id).l, flips });
      continue;
    }
    for (let i = 0; i < seq.length; i++) {
      if (seq[i]!.v !== 'fail' || (i > 0 && seq[i - 1]!.v === 'fail')) continue;
      let j = i;
      while (j + 1 < seq.length && seq[j + 1]!.v === 'fail') j++;
      const recovered = seq[j + 1]?.e;
      const { c: clause, l: level } = info(id);
      const key = [clause, seq[i]!.e.run, seq[j]!.e.run, recovered?.run].join('\n');
      const ep = episodes.get(key) ?? { clause, level, checks: [], from: ref(seq[i]!.e), to: ref(seq[j]!.e), ...(recovered && { recovered: ref(recovered) }) };
      ep.checks.push(id);
      episodes.set(key, ep);
    }
  }
  const current = ids.flatMap((id) => {
    const f = failingSince(runs, id);
    return f ? [{ id, level: info(id).l, clause: info(id).c, ...f }] : [];
  });
  const observe = ids
    .filter((id) => info(id).l === 'OBSERVE')
    .flatMap((id) => {
      const seen = runs.flatMap((e) => (e.checks[id]?.v === 'observed' ? [{ e, o: e.checks[id]!.o ?? '' }] : []));
      return seen.flatMap((x, i) => (i > 0 && x.o !== seen[i - 1]!.o ? [{ id, run: ref(x.e), before: seen[i - 1]!.o, after: x.o }] : []));
    });
  return {
    runs: [...runs],
    ids,
    current,
    episodes: [...episodes.values()].sort((a, b) => a.from.run - b.from.run || a.clause.localeCompare(b.clause)),
    flaky,
    observe: observe.sort((a, b) => a.run.run - b.run.run || a.id.localeCompare(b.id)),
  };
}

const MARK: Record<Verdict, string> = { pass: '✓', fail: '✗', error: '!', 'not-verified': '–', observed: '○' };
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const notVerified = (e: HistoryEntry) => e.counts['not-verified'];
/** Whether a check's verdict (or observed outcome) differs between any two runs. */
const changes = (t: Trend, id: string) => new Set(t.runs.map((e) => (e.checks[id] ? `${e.checks[id]!.v}\n${e.checks[id]!.o ?? ''}` : ''))).size > 1;
const targets = (t: Trend) => [...new Set(t.runs.map((e) => e.target.name))];

/** ▁▂▃▄▅▆▇█ for each value, scaled from 0 to the largest. */
function sparkline(values: number[]): string {
  const max = Math.max(...values, 0);
  return values.map((v) => '▁▂▃▄▅▆▇█'[max ? Math.round((v / max) * 7) : 0]).join('');
}

const row = (cells: Array<string | number>): string => `| ${cells.join(' | ')} |`;
const table = (head: string[], rows: Array<Array<string | number>>): string[] => [row(head), row(head.map(() => '---')), ...rows.map(row)];

/** The runs shown in Markdown (a job summary has a size limit); the HTML page shows them all. */
const MD_RUNS = 30;

function renderTrendMarkdown(t: Trend): string {
  const last = t.runs.at(-1);
  if (!last) return '# FFmpeg API conformance — history\n\nNo run recorded yet.\n';
  const shown = t.runs.slice(-MD_RUNS);
  const lines = [
    `# FFmpeg API conformance — history of ${targets(t).map(mdText).join(', ')}`,
    '',
    `${t.runs.length} run${t.runs.length > 1 ? 's' : ''}, ${runLabel(t.runs[0]!)} to ${runLabel(last)}. Latest: **${last.verdict}** (exit code ${last.exitCode}).`,
    '',
    `## Failing now (${t.current.length})`,
    '',
    ...(t.current.length
      ? table(['check', 'level', 'failing since', 'last passed'], t.current.map((c) => [mdCode(c.id), c.level, runLabel(c.since), c.lastPass ? runLabel(c.lastPass) : 'never in this history']))
      : ['No check fails in the latest run.']),
    '',
    `## Failures and recoveries (${t.episodes.length})`,
    '',
    ...(t.episodes.length
      ? table(['clause', 'level', 'checks', 'failed from', 'failed until', 'passed again'], t.episodes.map((e) => [mdCode(e.clause), e.level, e.checks.length, runLabel(e.from), runLabel(e.to), e.recovered ? runLabel(e.recovered) : '**still failing**']))
      : ['No check failed in this history (flaky checks aside).']),
    '',
    `## Flaky checks (${t.flaky.length})`,
    '',
    ...(t.flaky.length
      ? [`Checks whose verdict flipped between pass and fail ${FLAKY_FLIPS} or more times. Runs ${shown[0]!.run} to ${last.run}:`, '', ...table(['check', 'level', 'flips', 'verdicts'], t.flaky.map((f) => [mdCode(f.id), f.level, f.flips, shown.map((e) => (e.checks[f.id] ? MARK[e.checks[f.id]!.v] : ' ')).join('')]))]
      : ['No check flipped between pass and fail more than twice.']),
    '',
    `## Documentation drift: OBSERVE checks that changed (${t.observe.length})`,
    '',
    ...(t.observe.length ? table(['run', 'check', 'before', 'after'], t.observe.map((o) => [runLabel(o.run), mdCode(o.id), mdCode(o.before), mdCode(o.after)])) : ['Every OBSERVE check recorded the same behaviour in every run.']),
    '',
    `## Over time (runs ${shown[0]!.run} to ${last.run})`,
    '',
    ...table(
      ['measure', 'runs', 'latest', 'range'],
      (
        [
          ['duration', (e) => e.durationMs / 1000, (v: number) => `${v.toFixed(1)} s`],
          ['requests', (e) => e.requests, String],
          ['not verified', notVerified, String],
        ] as const satisfies ReadonlyArray<readonly [string, (e: HistoryEntry) => number, (v: number) => string]>
      ).map(([name, of, fmt]) => {
        const v = shown.map(of);
        return [name, mdCode(sparkline(v)), fmt(v.at(-1)!), `${fmt(Math.min(...v))} – ${fmt(Math.max(...v))}`];
      }),
    ),
    '',
    '## Runs',
    '',
    ...table(
      ['run', 'started', 'verdict', 'pass', 'fail', 'error', 'not verified', 'observed', 'duration', 'requests', 'tool', 'spec'],
      shown.map((e) => [`#${e.run}`, e.startedAt, e.exitCode === 0 ? e.verdict : `**${e.verdict}**`, e.counts.pass, e.counts.fail, e.counts.error, notVerified(e), e.counts.observed, seconds(e.durationMs), e.requests, mdText(e.tool.version), mdCode(e.spec.sha256.slice(0, 12))]),
    ),
    '',
  ];
  const moving = t.ids.filter((id) => changes(t, id));
  lines.push(
    `<details><summary>Checks by run: the ${moving.length} check${moving.length === 1 ? '' : 's'} whose verdict or behaviour changed (✓ pass, ✗ fail, ! error, – not verified, ○ observed)</summary>`,
    '',
    ...(moving.length ? table(['check', ...shown.map((e) => `#${e.run}`)], moving.map((id) => [mdCode(id), ...shown.map((e) => (e.checks[id] ? MARK[e.checks[id]!.v] : ''))])) : ['Every check had the same verdict and behaviour in every run.']),
    '',
    '</details>',
    '',
  );
  return lines.join('\n');
}

/** A line plot of one measure over the runs, inline SVG with a tooltip per point. */
function plot(id: string, title: string, runs: HistoryEntry[], of: (e: HistoryEntry) => number, fmt: (v: number) => string): string {
  const [w, h, left, pad] = [640, 140, 56, 18];
  const values = runs.map(of);
  const max = Math.max(...values, 0) || 1;
  const x = (i: number) => left + (runs.length > 1 ? (i * (w - left - pad)) / (runs.length - 1) : (w - left - pad) / 2);
  const y = (v: number) => h - pad - (v / max) * (h - 2 * pad);
  const points = values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`);
  return `<figure class="plot"><figcaption>${esc(title)}</figcaption>
<svg id="${esc(id)}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${esc(title)}">
<line x1="${left}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="#d0d7de"/><line x1="${left}" y1="${pad}" x2="${left}" y2="${h - pad}" stroke="#d0d7de"/>
<text x="${left - 6}" y="${pad + 4}" text-anchor="end" font-size="11" fill="#59636e">${esc(fmt(max))}</text><text x="${left - 6}" y="${h - pad + 4}" text-anchor="end" font-size="11" fill="#59636e">0</text>
<text x="${left}" y="${h - 3}" font-size="11" fill="#59636e">#${runs[0]!.run}</text><text x="${w - pad}" y="${h - 3}" text-anchor="end" font-size="11" fill="#59636e">#${runs.at(-1)!.run}</text>
<polyline fill="none" stroke="#0969da" stroke-width="2" points="${points.join(' ')}"/>
${values.map((v, i) => `<circle cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3.5" fill="#0969da" data-run="${runs[i]!.run}" data-value="${v}"><title>${esc(`${runLabel(runs[i]!)}: ${fmt(v)}`)}</title></circle>`).join('')}
</svg></figure>`;
}

const STYLE = `
.grid td.c { text-align: center; padding: .1rem .3rem; font: 12px ui-monospace, monospace; }
.grid th.r { font-weight: 400; font-size: 12px; } .grid td.id { white-space: nowrap; }
.plot { margin: .6rem 0; } .plot figcaption { font-weight: 600; }
.exit-2 { background: #ffebe9; }
`;

const cell = (e: HistoryEntry, id: string) => {
  const c = e.checks[id];
  return c ? `<td class="c v-${c.v}" data-run="${e.run}" title="${esc(`${runLabel(e)}: ${c.v}${c.o !== undefined ? ` — ${c.o}` : ''}`)}">${MARK[c.v]}</td>` : `<td class="c" data-run="${e.run}" title="${esc(`${runLabel(e)}: not in this run`)}"></td>`;
};

function renderTrendHtml(t: Trend): string {
  const last = t.runs.at(-1);
  const title = `Conformance history — ${targets(t).join(', ') || 'no run yet'}`;
  if (!last) return htmlPage(title, '<h1>FFmpeg API conformance — history</h1><p>No run recorded yet.</p>');
  const head = `<tr><th>check</th>${t.runs.map((e) => `<th class="r" title="${esc(e.startedAt)}">#${e.run}</th>`).join('')}</tr>`;
  const gridRow = (id: string) => `<tr data-id="${esc(id)}"><td class="id"><code>${esc(id)}</code></td>${t.runs.map((e) => cell(e, id)).join('')}</tr>`;
  const moving = t.ids.filter((id) => changes(t, id));
  const steady = t.ids.filter((id) => !changes(t, id));
  const link = (r: RunRef) => `<a href="#run-${r.run}">${esc(runLabel(r))}</a>`;
  const body = `<style>${STYLE}</style>
<h1>FFmpeg API conformance — history of ${esc(targets(t).join(', '))}</h1>
<p><span class="verdict exit-${last.exitCode}" id="latest">latest ${esc(runLabel(last))}: ${esc(last.verdict)}</span> <span class="muted">${t.runs.length} run${t.runs.length > 1 ? 's' : ''} kept, from ${esc(runLabel(t.runs[0]!))}</span></p>
<h2>Failing now (${t.current.length})</h2>
${t.current.length ? `<table id="current"><thead><tr><th>check</th><th>level</th><th>failing since</th><th>last passed</th></tr></thead><tbody>${t.current.map((c) => `<tr data-id="${esc(c.id)}"><td><code>${esc(c.id)}</code></td><td>${esc(c.level)}</td><td class="since">${link(c.since)}</td><td class="last-pass">${c.lastPass ? link(c.lastPass) : 'never in this history'}</td></tr>`).join('\n')}</tbody></table>` : '<p id="current">No check fails in the latest run.</p>'}
<h2>Failures and recoveries (${t.episodes.length})</h2>
${t.episodes.length ? `<table id="episodes"><thead><tr><th>clause</th><th>level</th><th>checks</th><th>failed from</th><th>failed until</th><th>passed again</th></tr></thead><tbody>${t.episodes.map((e) => `<tr data-clause="${esc(e.clause)}"><td><code>${esc(e.clause)}</code></td><td>${esc(e.level)}</td><td title="${esc(e.checks.join(', '))}">${e.checks.length}</td><td class="from">${link(e.from)}</td><td class="to">${link(e.to)}</td><td class="recovered">${e.recovered ? link(e.recovered) : '<strong>still failing</strong>'}</td></tr>`).join('\n')}</tbody></table>` : '<p id="episodes">No check failed in this history (flaky checks aside).</p>'}
<h2>Flaky checks (${t.flaky.length})</h2>
${t.flaky.length ? `<p class="muted">Verdict flipped between pass and fail ${FLAKY_FLIPS} or more times.</p><table id="flaky" class="grid"><thead>${head.replace('<th>check</th>', '<th>check</th><th>flips</th>')}</thead><tbody>${t.flaky.map((f) => `<tr data-id="${esc(f.id)}"><td class="id"><code>${esc(f.id)}</code> <span class="muted">${esc(f.level)}</span></td><td class="n">${f.flips}</td>${t.runs.map((e) => cell(e, f.id)).join('')}</tr>`).join('\n')}</tbody></table>` : '<p id="flaky">No check flipped between pass and fail more than twice.</p>'}
<h2>Documentation drift: OBSERVE checks that changed (${t.observe.length})</h2>
${t.observe.length ? `<table id="observe"><thead><tr><th>run</th><th>check</th><th>before</th><th>after</th></tr></thead><tbody>${t.observe.map((o) => `<tr data-id="${esc(o.id)}"><td>${link(o.run)}</td><td><code>${esc(o.id)}</code></td><td><code>${esc(o.before)}</code></td><td><code>${esc(o.after)}</code></td></tr>`).join('\n')}</tbody></table>` : '<p id="observe">Every OBSERVE check recorded the same behaviour in every run.</p>'}
<h2>Over time</h2>
${plot('plot-duration', 'Duration (s)', t.runs, (e) => e.durationMs / 1000, (v) => `${v.toFixed(1)} s`)}
${plot('plot-requests', 'Requests judged', t.runs, (e) => e.requests, String)}
${plot('plot-not-verified', 'Checks not verified', t.runs, notVerified, String)}
<h2>Runs</h2>
<table id="runs"><thead><tr><th>run</th><th>started</th><th>verdict</th><th>pass</th><th>fail</th><th>error</th><th>not verified</th><th>observed</th><th>duration</th><th>requests</th><th>target</th><th>tool</th><th>spec</th></tr></thead><tbody>
${t.runs.map((e) => `<tr id="run-${e.run}" data-verdict="${esc(e.verdict)}"><td>#${e.run}</td><td>${esc(e.startedAt)}</td><td><span class="badge ${e.exitCode === 0 ? 'v-pass' : e.exitCode === 3 || e.exitCode === 130 ? 'v-error' : 'v-fail'}">${esc(e.verdict)}</span></td>${[e.counts.pass, e.counts.fail, e.counts.error, notVerified(e), e.counts.observed].map((n) => `<td class="n">${n}</td>`).join('')}<td class="n">${esc(seconds(e.durationMs))}</td><td class="n">${e.requests}</td><td>${esc(e.target.name)}</td><td>${esc(e.tool.version)}</td><td><code>${esc(e.spec.sha256.slice(0, 12))}</code> ${esc(e.spec.version)}</td></tr>`).join('\n')}
</tbody></table>
<h2>Checks by run</h2>
<p class="muted">✓ pass, ✗ fail, ! error, – not verified, ○ observed; an empty cell: not in that run. Hover a cell for its outcome.</p>
<table id="grid" class="grid"><thead>${head}</thead><tbody>
${moving.map(gridRow).join('\n')}
</tbody></table>
<details id="steady"><summary>${steady.length} check${steady.length === 1 ? '' : 's'} with the same verdict and behaviour in every run</summary>
<table class="grid"><thead>${head}</thead><tbody>${steady.map(gridRow).join('\n')}</tbody></table></details>`;
  return htmlPage(title, body);
}

/** The report with each still-failing drift entry dated from the history (which ends with this run): "failing since #6". */
export function withFailingSince(report: Report, runs: readonly HistoryEntry[]): Report {
  if (!report.drift) return report;
  const checks = report.drift.checks.map((d) => {
    const f = d.kind === 'still-failing' ? failingSince(runs, d.id) : undefined;
    return f ? { ...d, since: f.since } : d;
  });
  return { ...report, drift: { ...report.drift, checks } };
}

/** The trend views of a history, written into `dir` (through core/secrets.ts): their paths. */
export function writeTrend(runs: readonly HistoryEntry[], dir: string): string[] {
  const trend = buildTrend(runs);
  return Object.entries({ 'history.md': renderTrendMarkdown, 'history.html': renderTrendHtml }).map(([name, render]) => {
    const file = join(dir, name);
    writeRedacted(file, render(trend));
    return file;
  });
}
