// report.html: one self-contained file to open from a CI artifact. No network, no external
// assets (a Content-Security-Policy forbids them, and allows only the one script below, by hash).
// Every string of the report is escaped: target bodies may be hostile.
import { createHash } from 'node:crypto';
import { LEVELS } from '../src/spec.js';
import { DRIFT_KINDS, VERDICTS, type CheckResult, type DriftKind, type Report } from './model.js';
import { compatibility, DRIFT_LABEL, findingLine, groupedFindings, levelFigure, observed, verdictText } from './text.js';

export const esc = (s: string | number): string =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

// Filters by level and verdict, and a search over each check's text. Static: no report data in it.
const SCRIPT = `
const checks = [...document.querySelectorAll('details.check')];
const boxes = [...document.querySelectorAll('input[data-filter]')];
const search = document.getElementById('search');
function apply() {
  const on = (kind) => new Set(boxes.filter((b) => b.dataset.filter === kind && b.checked).map((b) => b.value));
  const levels = on('level'), verdicts = on('verdict'), q = search.value.trim().toLowerCase();
  let shown = 0;
  for (const c of checks) {
    const visible = levels.has(c.dataset.level) && verdicts.has(c.dataset.verdict) && (!q || c.textContent.toLowerCase().includes(q));
    c.hidden = !visible;
    if (visible) shown++;
  }
  document.getElementById('shown').textContent = String(shown);
}
for (const b of boxes) b.addEventListener('change', apply);
search.addEventListener('input', apply);
document.getElementById('expand').addEventListener('click', () => { for (const c of checks) if (!c.hidden) c.open = true; });
document.getElementById('collapse').addEventListener('click', () => { for (const c of checks) c.open = false; });
apply();
`;

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 1rem 1.5rem; color: #1b1f24; }
h1 { font-size: 1.4rem; margin: 0 0 .4rem; } h2 { font-size: 1.1rem; margin: 1.4rem 0 .5rem; }
.verdict { font-weight: 700; font-size: 1.1rem; padding: .4rem .7rem; border-radius: 6px; display: inline-block; }
.exit-0 { background: #dafbe1; } .exit-1 { background: #ffebe9; } .exit-3, .exit-130 { background: #fff8c5; }
table { border-collapse: collapse; margin: .5rem 0; } th, td { border: 1px solid #d0d7de; padding: .25rem .6rem; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.meta, .muted { color: #59636e; }
.filters { position: sticky; top: 0; background: #fff; padding: .5rem 0; border-bottom: 1px solid #d0d7de; display: flex; flex-wrap: wrap; gap: .3rem 1.2rem; align-items: center; }
.filters fieldset { border: 0; padding: 0; margin: 0; } .filters legend { float: left; margin-right: .4rem; font-weight: 600; }
#search { width: 18rem; padding: .25rem .4rem; }
details.check { border: 1px solid #d0d7de; border-radius: 6px; margin: .3rem 0; }
details.check > summary { cursor: pointer; padding: .35rem .6rem; display: flex; gap: .6rem; align-items: baseline; }
details.check > div { padding: .2rem .9rem .6rem; border-top: 1px solid #d0d7de; }
.badge { font: 600 12px/1.6 ui-monospace, monospace; border-radius: 4px; padding: 0 .35rem; white-space: nowrap; }
.v-pass { background: #dafbe1; } .v-fail { background: #ffcecb; } .v-error { background: #fff1a8; } .v-not-verified { background: #eaeef2; } .v-observed { background: #ddf4ff; }
.d-regression { background: #ff8182; } .d-fixed { background: #aceebb; }
code, pre { font: 12px/1.45 ui-monospace, monospace; } pre { background: #f6f8fa; padding: .5rem; overflow: auto; white-space: pre-wrap; word-break: break-all; max-height: 24rem; }
blockquote { margin: .3rem 0; padding-left: .7rem; border-left: 3px solid #d0d7de; color: #3d444d; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .15rem .8rem; margin: .4rem 0; } dt { font-weight: 600; } dd { margin: 0; }
`;

export const badge = (cls: string, text: string) => `<span class="badge ${esc(cls)}">${esc(text)}</span>`;

function checkHtml(c: CheckResult, drift: DriftKind | undefined): string {
  const ex = c.exchange;
  const fields: Array<[string, string]> = [
    ['clause', `<code>${esc(c.clause)}</code> — ${esc(c.source)}`],
    ['documentation', `<blockquote>${esc(c.quote)}</blockquote>`],
    ['expected', esc(c.expected)],
    ['observed', `<code>${esc(observed(c))}</code>`],
  ];
  if (c.message) fields.push([c.verdict === 'error' ? 'error' : 'failure', `<pre>${esc(c.message)}</pre>`]);
  if (c.reason) fields.push(['not verified', esc(c.reason)]);
  if (drift) fields.push(['against the baseline', esc(DRIFT_LABEL[drift])]);
  if (ex) {
    fields.push(['request', `<pre>${esc([`${ex.request.method} ${ex.request.url}   (${ex.request.transport})`, ...ex.request.headers].join('\n'))}</pre>`]);
    const r = ex.response;
    fields.push([
      'response',
      r
        ? `<pre>${esc(`${r.status}   Content-Type: ${r.contentType ?? '(none)'}   ${r.ms} ms${r.bodyTruncated ? '   (body truncated)' : ''}\n\n${r.body}`)}</pre>`
        : '<span class="muted">no answer</span>',
    ]);
  }
  return `<details class="check" id="check-${esc(c.id)}" data-id="${esc(c.id)}" data-level="${esc(c.level)}" data-verdict="${esc(c.verdict)}">
<summary>${badge(`v-${c.verdict}`, c.verdict)} ${badge('', c.level)}${drift && drift !== 'unchanged' ? ` ${badge(`d-${drift}`, DRIFT_LABEL[drift])}` : ''} <code>${esc(c.id)}</code> <span>${esc(c.title)}</span> <span class="muted">${esc(observed(c))}</span></summary>
<div><dl>${fields.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl></div>
</details>`;
}

export function renderHtml(report: Report): string {
  const s = report.summary;
  const driftOf = new Map((report.drift?.checks ?? []).map((d) => [d.id, d.kind]));
  const counts = `<table id="counts"><thead><tr><th>level</th>${VERDICTS.map((v) => `<th>${esc(v)}</th>`).join('')}<th>compatibility</th></tr></thead><tbody>
${LEVELS.map((l) => `<tr><th>${l}</th>${VERDICTS.map((v) => `<td class="n" data-count="${l}:${v}">${s.levels[l][v]}</td>`).join('')}<td>${esc(levelFigure(report, l))}</td></tr>`).join('\n')}
<tr><th>all</th>${VERDICTS.map((v) => `<td class="n" data-count="all:${v}">${s.verdicts[v]}</td>`).join('')}<td><span id="total">${s.total}</span> checks</td></tr>
</tbody></table>`;
  const drift = report.drift;
  const driftHtml = drift
    ? `<h2>Drift against the baseline</h2><p id="drift">${DRIFT_KINDS.filter((k) => drift.counts[k]).map((k) => `${badge(`d-${k}`, `${DRIFT_LABEL[k]}: ${drift.counts[k]}`)}`).join(' ')} <span class="muted">baseline ${esc(drift.baseline.path)} (${esc(drift.baseline.target)}, ${esc(drift.baseline.startedAt)})</span></p>`
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
${report.interrupted ? '<p id="interrupted"><strong>Interrupted:</strong> the run was stopped; this report holds only the checks that ran.</p>' : ''}
${report.shard ? `<p><strong>Shard ${report.shard.index}/${report.shard.count}:</strong> this report holds one shard's checks.</p>` : ''}
${counts}
<p class="meta">Target <code>${esc(report.target.url || report.target.name)}</code>${report.target.bundledMock ? ' (bundled reference mock)' : ''} · spec ${esc(report.spec.version)} (sha256 <code>${esc(report.spec.sha256.slice(0, 12))}</code>) · ${esc(report.tool.name)} ${esc(report.tool.version)} · started ${esc(report.startedAt)} · ${(report.durationMs / 1000).toFixed(1)} s · exit code ${s.exitCode}${report.options.strict ? ' · --strict' : ''}</p>
${driftHtml}
${findingsHtml}
<h2>Checks (<span id="shown">${report.checks.length}</span> of ${report.checks.length} shown)</h2>
<div class="filters">${boxes('level', LEVELS)}${boxes('verdict', VERDICTS)}<input id="search" type="search" placeholder="search checks, bodies, clauses…" aria-label="search"> <button id="expand" type="button">expand all</button><button id="collapse" type="button">collapse all</button></div>
<div id="checks">
${report.checks.map((c) => checkHtml(c, driftOf.get(c.id))).join('\n')}
</div>
`,
    SCRIPT,
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
