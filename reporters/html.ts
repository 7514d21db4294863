// report.html: one self-contained file to open from a CI artifact. No network, no external
// assets (a Content-Security-Policy forbids them, and allows only the one script below, by hash).
// Every string of the report is escaped: target bodies may be hostile. Checks are grouped by group,
// then clause; filters and search live in the URL hash, and #check-<id> opens that check.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { LEVELS } from '../core/spec.js';
import { clauseOf, DRIFT_KINDS, type DriftEntry, type DriftSide, type Report } from './model.js';
import { compatibility, DRIFT_LABEL, findingLine, groupedFindings, levelFigure, observed, verdictText } from './text.js';
import { VERDICTS, type CheckResult } from '../core/results.js';

export const esc = (s: string | number): string =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Our own text (the documentation's quotes) without emoji (colour glyphs), which Debian's default fonts lack. */
const PLAIN: Record<string, string> = { '❌': '×', '✅': '✓', '⚠': '!' };
const plain = (s: string): string => s.replace(/\p{Emoji_Presentation}\uFE0F?|\p{Extended_Pictographic}\uFE0F/gu, (m) => PLAIN[m.replace('\uFE0F', '')] ?? '*');

/**
 * The page's one script (reporters/browser/html-view.ts: filters, search, deep links): as the build
 * compiled it beside this file (dist/reporters/html-view.js), or, run from the sources, compiled
 * now the same way (typescript's transpileModule, as scripts/build.mjs does).
 */
function viewScript(): string {
  const built = new URL('./html-view.js', import.meta.url);
  if (existsSync(built)) return readFileSync(built, 'utf8');
  const ts = createRequire(import.meta.url)('typescript') as typeof import('typescript');
  const source = readFileSync(new URL('./browser/html-view.ts', import.meta.url), 'utf8');
  return ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES2022, removeComments: true } }).outputText;
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 1rem 1.5rem; color: #1b1f24; overflow-wrap: anywhere; }
h1 { font-size: 1.4rem; margin: 0 0 .4rem; } h2 { font-size: 1.1rem; margin: 1.4rem 0 .5rem; }
.verdict { font-weight: 700; font-size: 1.1rem; padding: .4rem .7rem; border-radius: 6px; display: inline-block; }
.exit-0 { background: #dafbe1; } .exit-1 { background: #ffebe9; } .exit-3, .exit-130 { background: #fff8c5; }
table { border-collapse: collapse; margin: .5rem 0; } th, td { border: 1px solid #d0d7de; padding: .25rem .6rem; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.meta, .muted, .shown { color: #59636e; }
.filters { position: sticky; top: 0; z-index: 1; background: #fff; padding: .5rem 0; border-bottom: 1px solid #d0d7de; display: flex; flex-wrap: wrap; gap: .3rem 1.2rem; align-items: center; }
.filters fieldset { border: 0; padding: 0; margin: 0; } .filters legend { float: left; margin-right: .4rem; font-weight: 600; }
#search { width: 18rem; max-width: 100%; padding: .25rem .4rem; }
summary { cursor: pointer; list-style: none; } summary::-webkit-details-marker { display: none; }
summary::before { content: '\\25B8'; display: inline-block; width: 1em; color: #59636e; } details[open] > summary::before { content: '\\25BE'; }
details.section { margin: .4rem 0; } details.section > summary { padding: .3rem 0; font-weight: 600; }
details.group > summary { font-size: 1.05rem; border-bottom: 1px solid #d0d7de; }
details.clause { margin-left: 1rem; } details.clause > div, details.group > div { margin-left: .4rem; }
details.check { border: 1px solid #d0d7de; border-radius: 6px; margin: .3rem 0 .3rem 1rem; }
details.check > summary { padding: .35rem .6rem; display: flex; flex-wrap: wrap; gap: .2rem .6rem; align-items: baseline; }
details.check > div { padding: .2rem .9rem .6rem; border-top: 1px solid #d0d7de; }
details.check:target, details.check:focus-within { outline: 2px solid #0969da; }
.badge { font: 600 12px/1.6 ui-monospace, monospace; border-radius: 4px; padding: 0 .35rem; white-space: nowrap; background: #eaeef2; }
.v-pass { background: #dafbe1; } .v-fail { background: #ffcecb; } .v-error { background: #fff1a8; } .v-not-verified { background: #eaeef2; } .v-observed { background: #ddf4ff; }
.d-regression { background: #ff8182; } .d-fixed { background: #aceebb; } .d-behaviour-changed, .d-verdict-changed { background: #fff1a8; }
code, pre { font: 12px/1.45 ui-monospace, monospace; } pre { background: #f6f8fa; padding: .5rem; overflow: auto; white-space: pre-wrap; word-break: break-all; max-height: 24rem; }
blockquote { margin: .3rem 0; padding-left: .7rem; border-left: 3px solid #d0d7de; color: #3d444d; }
dl { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: .15rem .8rem; margin: .4rem 0; } dt { font-weight: 600; } dd { margin: 0; min-width: 0; }
#no-match { padding: .6rem; background: #fff8c5; border-radius: 6px; }
@media (max-width: 640px) { body { padding: .5rem .6rem; } dl { grid-template-columns: 1fr; } details.clause, details.check { margin-left: .3rem; } table { display: block; overflow-x: auto; } }
`;

export const badge = (cls: string, text: string) => `<span class="badge ${esc(cls)}">${esc(text)}</span>`;

/** "fail `401` and the error text it observed", or a dash for a check one side lacks. */
const driftSide = (x?: DriftSide) => (x ? `${badge(`v-${x.verdict}`, x.verdict)}${x.outcome !== undefined ? ` <code>${esc(x.outcome)}</code>` : ''}` : '<span class="muted">(absent)</span>');
const beforeAfter = (d: DriftEntry) => `${driftSide(d.before)} &rarr; ${driftSide(d.after)}`;

function checkHtml(c: CheckResult, doc: { quote: string; source: string }, drift: DriftEntry | undefined): string {
  const ex = c.exchange;
  const fields: Array<[string, string]> = [
    ['clause', `<code>${esc(c.clause)}</code> — ${esc(doc.source)}`],
    ['documentation', `<blockquote>${esc(plain(doc.quote))}</blockquote>`],
    ['expected', esc(c.expected)],
    ['observed', `<code>${esc(observed(c))}</code>`],
  ];
  if (c.message) fields.push([c.verdict === 'error' ? 'error' : 'failure', `<pre>${esc(c.message)}</pre>`]);
  if (c.reason) fields.push(['not verified', esc(c.reason)]);
  if (drift) fields.push(['against the baseline', `${esc(DRIFT_LABEL[drift.kind])}: ${beforeAfter(drift)}`]);
  if (ex) {
    fields.push(['request', `<pre>${esc([`${ex.request.method} ${ex.request.url}   (${ex.request.transport})`, ...ex.request.headers].join('\n'))}</pre>`]);
    const r = ex.response;
    const headers = r?.headers ? Object.entries(r.headers).map(([k, v]) => `${k}: ${v}`) : [`content-type: ${r?.contentType ?? '(none)'}`];
    fields.push(['response', r ? `<pre>${esc(`${r.status}   ${r.ms} ms${r.bodyTruncated ? '   (body truncated)' : ''}\n${headers.join('\n')}\n\n${r.body}`)}</pre>` : '<span class="muted">no answer</span>']);
  }
  return `<details class="check" id="check-${esc(c.id)}" data-id="${esc(c.id)}" data-level="${esc(c.level)}" data-verdict="${esc(c.verdict)}"${drift ? ` data-drift="${esc(drift.kind)}"` : ''}>
<summary>${badge(`v-${c.verdict}`, c.verdict)} ${badge('', c.level)}${drift && drift.kind !== 'unchanged' ? ` ${badge(`d-${drift.kind}`, DRIFT_LABEL[drift.kind])}` : ''} <code>${esc(c.id)}</code> <span>${esc(c.title)}</span> <span class="muted">${esc(observed(c))}</span></summary>
<div><dl>${fields.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl></div>
</details>`;
}

/** "10 checks: 4 fail, 6 pass" */
function counts(checks: CheckResult[]): string {
  const n = VERDICTS.map((v) => [v, checks.filter((c) => c.verdict === v).length] as const).filter(([, k]) => k);
  return `${checks.length} check${checks.length > 1 ? 's' : ''}: ${n.map(([v, k]) => `${k} ${v}`).join(', ')}`;
}

/** A disclosure section (group or clause) with its counts; open when it holds a failure or error. */
function section(kind: 'group' | 'clause', name: string, checks: CheckResult[], inner: string, note = ''): string {
  const bad = checks.some((c) => c.verdict === 'fail' || c.verdict === 'error');
  return `<details class="section ${kind}" data-${kind}="${esc(name)}"${kind === 'group' || bad ? ' open' : ''}>
<summary>${kind === 'group' ? esc(name) : `<code>${esc(name)}</code>`} <span class="muted">— ${esc(counts(checks))}</span> <span class="shown"></span>${note}</summary>
<div>${inner}</div></details>`;
}

function checksHtml(report: Report, driftOf: Map<string, DriftEntry>): string {
  const byGroup = new Map<string, CheckResult[]>();
  for (const c of report.checks) byGroup.set(c.group, [...(byGroup.get(c.group) ?? []), c]);
  return [...byGroup.entries()]
    .map(([group, checks]) => {
      const byClause = new Map<string, CheckResult[]>();
      for (const c of checks) byClause.set(c.clause, [...(byClause.get(c.clause) ?? []), c]);
      const clauses = [...byClause.entries()].map(([clause, cs]) =>
        section('clause', clause, cs, cs.map((c) => checkHtml(c, clauseOf(report, c.clause), driftOf.get(c.id))).join('\n'), ` <span class="muted">· ${esc(cs[0]!.level)}</span>`),
      );
      return section('group', group, checks, clauses.join('\n'));
    })
    .join('\n');
}

export function renderHtml(report: Report): string {
  const s = report.summary;
  const driftOf = new Map((report.drift?.checks ?? []).map((d) => [d.id, d]));
  const countTable = `<table id="counts"><thead><tr><th>level</th>${VERDICTS.map((v) => `<th>${esc(v)}</th>`).join('')}<th>compatibility</th></tr></thead><tbody>
${LEVELS.map((l) => `<tr><th>${l}</th>${VERDICTS.map((v) => `<td class="n" data-count="${l}:${v}">${s.levels[l][v]}</td>`).join('')}<td>${esc(levelFigure(report, l))}</td></tr>`).join('\n')}
<tr><th>all</th>${VERDICTS.map((v) => `<td class="n" data-count="all:${v}">${s.verdicts[v]}</td>`).join('')}<td><span id="total">${s.total}</span> checks</td></tr>
</tbody></table>`;
  const drift = report.drift;
  const changed = (drift?.checks ?? []).filter((d) => d.kind !== 'unchanged').sort((a, b) => DRIFT_KINDS.indexOf(a.kind) - DRIFT_KINDS.indexOf(b.kind) || a.id.localeCompare(b.id));
  const driftHtml = drift
    ? `<h2>Drift against the baseline</h2><p id="drift">${DRIFT_KINDS.filter((k) => drift.counts[k]).map((k) => `${badge(`d-${k}`, `${DRIFT_LABEL[k]}: ${drift.counts[k]}`)}`).join(' ')} <span class="muted">baseline ${esc(drift.baseline.path)} (${esc(drift.baseline.target)}, ${esc(drift.baseline.startedAt)})</span></p>
${changed.length ? `<table id="drift-changes"><thead><tr><th>change</th><th>check</th><th>before &rarr; after</th></tr></thead><tbody>${changed.map((d) => `<tr data-drift="${esc(d.kind)}"><td>${badge(`d-${d.kind}`, DRIFT_LABEL[d.kind])}${d.since ? ` <span class="since">since #${d.since.run} (${esc(d.since.startedAt)})</span>` : ''}</td><td>${d.after ? `<a href="#check-${esc(d.id)}"><code>${esc(d.id)}</code></a>` : `<code>${esc(d.id)}</code>`}</td><td>${beforeAfter(d)}</td></tr>`).join('\n')}</tbody></table>` : '<p>Every check is unchanged.</p>'}`
    : '';
  const { regressions, others } = groupedFindings(report);
  const groups = [...regressions.map((g) => ({ g, kind: 'REGRESSION' })), ...others.map((g) => ({ g, kind: g.kind }))];
  const findingsHtml = `<h2>Findings (${groups.length} clause${groups.length === 1 ? '' : 's'})</h2>${
    groups.length
      ? `<ol id="findings">${groups
          .map(({ g, kind }) => `<li class="finding" data-clause="${esc(g.clause)}">${badge(kind === 'REGRESSION' ? 'd-regression' : kind === 'FAIL' ? 'v-fail' : 'v-error', kind)} ${esc(findingLine(g))}<br><span class="muted">checks:</span> ${g.checks.map((id) => `<a href="#check-${esc(id)}"><code>${esc(id)}</code></a>`).join(', ')}</li>`)
          .join('\n')}</ol>`
      : '<p>No check failed or errored.</p>'
  }`;
  const boxes = (kind: string, values: readonly string[]) =>
    `<fieldset><legend>${kind}</legend>${values.map((v) => `<label><input type="checkbox" data-filter="${kind}" value="${esc(v)}" checked> ${esc(v)}</label>`).join(' ')}</fieldset>`;
  return htmlPage(
    `Conformance — ${report.target.name} — ${verdictText(report)}`,
    `<h1>FFmpeg API conformance — ${esc(report.target.name)}</h1>
<p><span class="verdict exit-${s.exitCode}" id="verdict">${esc(verdictText(report))}</span> <span id="compatibility">${esc(compatibility(report))}</span></p>
${report.interrupted ? '<p id="interrupted"><strong>Interrupted:</strong> the run was stopped; the checks that did not finish are not verified (interrupted).</p>' : ''}
${report.shard ? `<p><strong>Shard ${report.shard.index}/${report.shard.count}:</strong> this report holds one shard's checks.</p>` : ''}
${countTable}
<p class="meta">Target <code>${esc(report.target.url || report.target.name)}</code>${report.target.bundledMock ? ' (bundled reference mock)' : ''} · spec ${esc(report.spec.version)} (sha256 <code>${esc(report.spec.sha256.slice(0, 12))}</code>) · ${esc(report.tool.name)} ${esc(report.tool.version)} · started ${esc(report.startedAt)} · ${(report.durationMs / 1000).toFixed(1)} s · exit code ${s.exitCode}${report.options.strict ? ' · --strict' : ''}</p>
${driftHtml}
${findingsHtml}
<h2>Checks (<span id="shown">${report.checks.length}</span> of ${report.checks.length} shown), by group and clause</h2>
<div class="filters">${boxes('level', LEVELS)}${boxes('verdict', VERDICTS)}${drift ? boxes('drift', DRIFT_KINDS.filter((k) => drift.counts[k])) : ''}<input id="search" type="search" placeholder="search checks, bodies, clauses…" aria-label="search"> <button id="expand" type="button">expand all</button><button id="collapse" type="button">collapse all</button></div>
<p id="no-match" hidden>No checks match the filters and the search. Tick more boxes or clear the search.</p>
<div id="checks">
${checksHtml(report, driftOf)}
</div>`,
    viewScript(),
  );
}

/** A self-contained page: our style, and at most our one script, allowed by its hash (no network). */
export function htmlPage(title: string, body: string, script?: string): string {
  const scriptSrc = script ? `'sha256-${createHash('sha256').update(script).digest('base64')}'` : "'none'";
  const csp = `default-src 'none'; style-src 'unsafe-inline'; script-src ${scriptSrc}; img-src data:; form-action 'none'; base-uri 'none'`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style></head>
<body>
${body}
${script ? `<script>${script}</script>\n` : ''}</body></html>
`;
}
