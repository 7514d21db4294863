// The views as pure functions of a report: hostile content stays inert, an interrupted (partial)
// report renders, drift and the matrix classify as documented. No network here.
import { describe, expect, test } from 'vitest';
import { classify, withDrift } from '../reporters/drift.js';
import { renderHtml } from '../reporters/html.js';
import { renderJunit } from '../reporters/junit.js';
import { mdCode, renderMarkdown } from '../reporters/markdown.js';
import { buildMatrix } from '../reporters/matrix.js';
import { buildReport } from '../reporters/model.js';
import { reportErrors } from '../reporters/schema.js';
import { check, hostileReport } from './fixtures.js';
import type { Verdict } from '../core/results.js';

describe('hostile target content', () => {
  const report = hostileReport();

  test('the synthetic report is a valid report.json', () => {
    expect(reportErrors(report)).toEqual([]);
  });

  test('HTML: every string is escaped; the only script is ours and the CSP allows nothing else', () => {
    const html = renderHtml(report);
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).not.toContain('<img');
    expect(html).not.toContain('</code></pre></details><script>');
    expect(html).toContain('&lt;script&gt;window.__pwned=1&lt;/script&gt;&lt;img src=x onerror=&quot;window.__pwned=2&quot;&gt;');
    expect(html).toMatch(/http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-[A-Za-z0-9+/=]+';/);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//); // no external asset
  });

  test('Markdown: no raw HTML, no broken table rows, no link or emphasis from the target', () => {
    const md = renderMarkdown(report);
    // Outside code blocks and code spans (where Markdown shows text literally) no markup remains.
    // Our own disclosure elements (fixed text, never the target's) are the only HTML.
    const outside = md.replace(/^(`{3,})text\n[\s\S]*?\n\1$/gm, '').replace(/(`+) .*? \1(?!`)/g, '').replace(/^(<details><summary>[A-Za-z ]+<\/summary>|<\/details>)$/gm, '');
    expect(md).toContain('<script>'); // the content is there, literally, in code
    expect(outside).not.toMatch(/<|(?<!\\)\]\(/);
    expect(outside).not.toMatch(/(?<!\\):\/\/|www\.(?!\\)/); // no autolink either
    // Every row of the all-checks table has exactly 7 cells: no unescaped | from the content.
    const rows = md.split('## All checks')[1]!.split('\n').filter((l) => l.startsWith('| `'));
    expect(rows).toHaveLength(5);
    for (const row of rows) expect(row.replace(/\\\|/g, '').split('|')).toHaveLength(9);
    // A code span longer than any backtick run inside it.
    expect(mdCode('a ``` b')).toBe('```` a ``` b ````');
  });

  test('JUnit: fail → failure with expected vs observed, error → error, not-verified → skipped with the reason', () => {
    const xml = renderJunit(report);
    expect(xml).toMatch(/^<testsuites .* tests="5" failures="1" errors="1" skipped="1">$/m);
    expect(xml).toContain('<failure message="[MUST] expected 401 {&quot;ok&quot;:false,&quot;error&quot;:&quot;Invalid API key&quot;}; observed 401 &lt;/code>');
    expect(xml).toMatch(/<testcase classname="auth\.invalid" name="auth\.invalid\.c — title of auth\.invalid\.c" time="0\.003">[\s\S]*?<error message="\[MUST\] expected [^"]*; observed error: timeout: it broke:/);
    expect(xml).toMatch(/name="auth\.revoked\.d — [^"]*"[\s\S]*?<skipped message="not verified: FFMPEG_API_REVOKED_KEY is not set"\/>/);
    // Markup from the target exists only as text: in CDATA (split where it contains "]]>") or escaped.
    expect(xml).toContain(']]]]><![CDATA[>');
    expect(xml.replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, '')).not.toMatch(/<(script|img|\/code|\/details)/);
  });
});

test('an interrupted, partial report renders in every view and says so', () => {
  const report = hostileReport(true);
  expect(report.summary.exitCode).toBe(130);
  expect(reportErrors(report)).toEqual([]);
  expect(renderMarkdown(report)).toMatch(/^\*\*INTERRUPTED — partial report of the checks that ran\*\*/m);
  expect(renderHtml(report)).toContain('id="interrupted"');
  expect(renderJunit(report)).toContain('INTERRUPTED');
});

describe('drift against a baseline', () => {
  const cases: Array<[Verdict | undefined, string | undefined, Verdict | undefined, string | undefined, string]> = [
    ['pass', '401 Invalid API key', 'fail', '200', 'regression'],
    ['fail', '200', 'pass', '401 Invalid API key', 'fixed'],
    ['fail', '200', 'fail', '204', 'still-failing'],
    ['pass', '401 Invalid API key', 'pass', '401 Invalid API key', 'unchanged'],
    ['observed', '401 Invalid API key', 'observed', '200', 'behaviour-changed'],
    ['pass', '401 Invalid API key', 'error', 'error: timeout', 'verdict-changed'],
    [undefined, undefined, 'pass', '200', 'new'],
    ['pass', '200', undefined, undefined, 'removed'],
  ];
  test.for(cases)('%s %s → %s %s is %s', ([bv, bo, av, ao, kind]) => {
    const side = (v?: Verdict, o?: string) => (v ? check('x.y', v, o === undefined ? {} : { outcome: o }) : undefined);
    expect(classify(side(bv, bo), side(av, ao))).toBe(kind);
  });

  test('a regression of a SHOULD check exits 1 even without --strict, and is stored in the report', () => {
    const should = (v: Verdict) => check('security.no-echo', v, { level: 'SHOULD', outcome: v });
    const head = { ...hostileReport(), checks: undefined, summary: undefined };
    const before = buildReport(head, [should('pass'), check('a.b', 'pass', { outcome: '401' })]);
    const after = buildReport(head, [should('fail'), check('a.b', 'pass', { outcome: '401' })]);
    expect(after.summary.exitCode).toBe(0);
    const drifted = withDrift(after, before, 'base/report.json');
    expect(drifted.summary.exitCode).toBe(1);
    expect(drifted.drift!.counts).toMatchObject({ regression: 1, unchanged: 1 });
    expect(reportErrors(drifted)).toEqual([]);
    expect(renderMarkdown(drifted)).toMatch(/^\*\*REGRESSED \(1 regression against the baseline; no MUST failure\)\*\*/m);
  });
});

test('the matrix marks a row divergent when verdicts or outcomes differ, OBSERVE rows included', () => {
  const head = { ...hostileReport(), checks: undefined, summary: undefined };
  const a = buildReport({ ...head, target: { ...head.target, name: 'mock' } }, [check('hdr.prefix.lowercase', 'observed', { outcome: '200' }), check('auth.invalid.x', 'pass', { outcome: '401' }), check('only.a', 'pass')]);
  const b = buildReport({ ...head, target: { ...head.target, name: 'live' } }, [check('hdr.prefix.lowercase', 'observed', { outcome: '401 Invalid API key' }), check('auth.invalid.x', 'pass', { outcome: '401' })]);
  const m = buildMatrix([{ path: 'a.json', report: a }, { path: 'b.json', report: b }]);
  expect(m.targets.map((t) => t.label)).toEqual(['mock', 'live']);
  expect(m.rows.map((r) => [r.id, r.divergent])).toEqual([['auth.invalid.x', false], ['hdr.prefix.lowercase', true], ['only.a', true]]);
  expect(m.summary).toEqual({ checks: 3, divergent: 2, notComparable: 0, divergentByLevel: { MUST: 1, SHOULD: 0, OBSERVE: 1 } });
  expect(m.rows[2]!.cells[1]).toBeNull();
});

test('the matrix: only verdict, status, documented error text or an OBSERVE value diverge; pass against not-verified is not comparable', () => {
  const head = { ...hostileReport(), checks: undefined, summary: undefined };
  const pair = (a: Parameters<typeof check>, b: Parameters<typeof check>) => {
    const reports = [a, b].map((c, i) => buildReport({ ...head, target: { ...head.target, name: `t${i}` } }, [check(...c)]));
    return buildMatrix(reports.map((report, i) => ({ path: `${i}.json`, report }))).rows[0]!.status;
  };
  // Not divergences: how many answers were judged, an undocumented error text of the same status.
  expect(pair(['a', 'pass', { outcome: '5 answers judged, 0 offending' }], ['a', 'pass', { outcome: '3 answers judged, 0 offending' }])).toBe('same');
  expect(pair(['a', 'pass', { outcome: '400 Bad request' }], ['a', 'pass', { outcome: '400 (not JSON)' }])).toBe('same');
  // Divergences: verdict, status, the documented error text, an OBSERVE check's recorded value.
  expect(pair(['a', 'pass', { outcome: '401 Invalid API key' }], ['a', 'fail', { outcome: '200' }])).toBe('divergent');
  expect(pair(['a', 'fail', { outcome: '401 Invalid API key' }], ['a', 'fail', { outcome: '403 Invalid API key' }])).toBe('divergent');
  expect(pair(['a', 'pass', { outcome: '401 Invalid API key' }], ['a', 'pass', { outcome: '401 (not JSON)' }])).toBe('divergent');
  expect(pair(['a', 'observed', { outcome: '400 Bad request' }], ['a', 'observed', { outcome: '400 (not JSON)' }])).toBe('divergent');
  // Apart: verified on one target only.
  expect(pair(['a', 'pass', { outcome: '401 Invalid API key' }], ['a', 'not-verified', { reason: 'no key' }])).toBe('not-comparable');
  expect(pair(['a', 'not-verified', { reason: 'no key' }], ['a', 'not-verified', { reason: 'no key' }])).toBe('same');
});

test("the matrix reads the documented error texts from the reports' spec, and an older report's from its expected answers", () => {
  const head = { ...hostileReport(), checks: undefined, summary: undefined };
  const rows = (specs: Array<typeof head.spec>) => {
    const outcomes = ['401 Invalid API key', '401 (not JSON)'];
    const reports = specs.map((spec, i) => buildReport({ ...head, spec, target: { ...head.target, name: `t${i}` } }, [check('a', 'pass', { outcome: outcomes[i]! })]));
    return buildMatrix(reports.map((report, i) => ({ path: `${i}.json`, report }))).rows[0]!.status;
  };
  const older = { ...head.spec, errorTexts: undefined };
  // The field decides, not the expected prose (the fixture's check quotes "Invalid API key").
  expect(rows([{ ...older, errorTexts: [] }, { ...older, errorTexts: [] }])).toBe('same');
  expect(rows([head.spec, head.spec])).toBe('divergent');
  // A report.json without the field: the texts its checks quote in their expected answers.
  expect(rows([older, older])).toBe('divergent');
  expect(reportErrors(JSON.parse(JSON.stringify({ ...hostileReport(), spec: older })))).toEqual([]); // still a valid report.json
});
