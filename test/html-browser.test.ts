// report.html in a real browser (Debian's chromium through playwright-core): the counts shown are
// the JSON's, the filters and the search work, checks expand to their exchange, nothing goes to
// the network, hostile content stays text, and the console stays clean. Screenshots go to
// test-artifacts/ (gitignored).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { withDrift } from '../reporters/drift.js';
import { renderHtml } from '../reporters/html.js';
import type { Report } from '../reporters/model.js';
import { LEVELS } from '../core/spec.js';
import { startMock, type RunningMock } from '../mock/server.js';
import { hostileReport } from './fixtures.js';
import { cleanEnv, MOCK_ENV, ROOT, runCli } from './helpers.js';
import { VERDICTS } from '../core/results.js';

const CHROMIUM = '/usr/bin/chromium';
// Without chromium a developer's machine skips, saying why; CI (which installs it) never skips.
const skipReason = !existsSync(CHROMIUM) && !process.env.CI ? `${CHROMIUM} is absent (apt-get install chromium); this test runs whenever CI is set` : undefined;
const ARTIFACTS = join(ROOT, 'test-artifacts');

let browser: Browser | undefined;
beforeAll(async () => {
  if (skipReason) return;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});
afterAll(async () => {
  await browser?.close();
});

/** Opens a report.html from disk, recording console errors, page errors and every request. */
async function open(file: string): Promise<{ page: Page; problems: string[]; requests: string[] }> {
  const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(pathToFileURL(file).href);
  return { page, problems, requests };
}

// A check is shown unless a filter or the search hides it (its group or clause may be collapsed).
/** The browser's window, for code run in the page (the project compiles without the DOM library). */
type Win = { innerHeight: number; innerWidth: number; getComputedStyle: (e: unknown, pseudo: string) => { content: string }; document: { documentElement: { scrollWidth: number } } };
/** The page's URL hash, read from the page itself: playwright's page.url() learns of history.replaceState only later. */
const hashOf = (page: Page) => page.evaluate(() => (globalThis as unknown as { location: { hash: string } }).location.hash);
const visible = (page: Page) => page.locator('details.check:not([hidden])').count();
const shownIds = (page: Page) => page.locator('details.check:not([hidden])').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')));
const setBoxes = async (page: Page, kind: 'level' | 'verdict' | 'drift', on: readonly string[]) => {
  for (const box of await page.locator(`input[data-filter="${kind}"]`).all()) await box.setChecked(on.includes((await box.getAttribute('value'))!));
};

describe('report.html of a real run', () => {
  let mock: RunningMock;
  let report: Report;
  let file: string;
  beforeAll(async () => {
    mock = await startMock({ faults: ['bearer-accepted', 'echo-credential'] });
    // No revoked key: its checks are not-verified, so every verdict but error is present.
    const run = await runCli(['--target', mock.url], cleanEnv({ FFMPEG_API_KEY: MOCK_ENV.FFMPEG_API_KEY, FFMPEG_API_QUOTA_EXCEEDED_KEY: MOCK_ENV.FFMPEG_API_QUOTA_EXCEEDED_KEY }));
    report = run.report();
    file = join(run.dir, 'report.html');
  });
  afterAll(() => mock?.close());

  test('shows the JSON counts, filters by level and verdict, searches, expands; no console error, no request', async (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    const { page, problems, requests } = await open(file);
    const s = report.summary;
    expect([s.verdicts.fail, s.verdicts['not-verified'] > 0, s.verdicts.observed > 0]).toEqual([2, true, true]);

    // The counts shown equal the JSON's.
    for (const level of LEVELS) for (const v of VERDICTS) expect(await page.locator(`[data-count="${level}:${v}"]`).innerText(), `${level}:${v}`).toBe(String(s.levels[level][v]));
    for (const v of VERDICTS) expect(await page.locator(`[data-count="all:${v}"]`).innerText()).toBe(String(s.verdicts[v]));
    expect(await page.locator('#total').innerText()).toBe(String(s.total));
    expect(await page.locator('#verdict').innerText()).toBe('NOT CONFORMANT (MUST failures)');
    expect(await visible(page)).toBe(s.total);
    expect(await page.locator('#findings li').count()).toBe(2);

    // Filter by verdict, then by level too.
    await setBoxes(page, 'verdict', ['fail']);
    expect(await visible(page)).toBe(s.verdicts.fail);
    expect(await page.locator('#shown').innerText()).toBe(String(s.verdicts.fail));
    await setBoxes(page, 'level', ['SHOULD']);
    expect(await visible(page)).toBe(s.levels.SHOULD.fail);
    await setBoxes(page, 'verdict', ['not-verified', 'observed']);
    await setBoxes(page, 'level', LEVELS);
    expect(await visible(page)).toBe(s.verdicts['not-verified'] + s.verdicts.observed);
    await setBoxes(page, 'verdict', VERDICTS);
    expect(await visible(page)).toBe(s.total);

    // Search: a check id, then a word of a response body.
    await page.locator('#search').fill('hdr.prefix.bearer');
    expect(await shownIds(page)).toEqual(['hdr.prefix.bearer']);
    await page.locator('#search').fill('no such text anywhere');
    expect(await visible(page)).toBe(0);
    expect(await page.locator('#no-match').isVisible()).toBe(true);
    await page.locator('#search').fill('');
    expect(await visible(page)).toBe(s.total);

    // Expand a failed check: its redacted request and the response are there.
    const bearer = page.locator('details[data-id="hdr.prefix.bearer"]');
    expect(await bearer.locator('pre').first().isVisible()).toBe(false);
    await bearer.locator('summary').click();
    const exchange = await bearer.locator('pre').allInnerTexts();
    expect(exchange.join('\n')).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/directory/m);
    expect(exchange.join('\n')).toContain('Authorization: Bearer [REDACTED:FFMPEG_API_KEY]');
    // The response with its status and every header (redacted in report.json already).
    expect(exchange.join('\n')).toMatch(/^200 {3}\d+ ms$/m);
    expect(exchange.join('\n')).toMatch(/^content-type: application\/json/m);
    expect(exchange.join('\n')).toMatch(/^cache-control: no-store$/m);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: join(ARTIFACTS, 'report-html.png'), fullPage: true });
    expect(problems).toEqual([]);
    expect(requests).toEqual([pathToFileURL(file).href]);
    await page.close();
  });

  test('checks are grouped by group and clause with counts, behind visible disclosure markers; no emoji', async (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    const { page, problems } = await open(file);
    const groups = [...new Set(report.checks.map((c) => c.group))];
    expect(await page.locator('details.group').evaluateAll((els) => els.map((e) => e.getAttribute('data-group')))).toEqual(groups);
    for (const group of groups) {
      const inGroup = report.checks.filter((c) => c.group === group);
      const g = page.locator(`details.group[data-group="${group}"]`);
      expect(await g.locator(':scope > summary').innerText()).toContain(`${inGroup.length} check${inGroup.length > 1 ? 's' : ''}:`);
      for (const clause of new Set(inGroup.map((c) => c.clause))) {
        const ids = inGroup.filter((c) => c.clause === clause).map((c) => c.id);
        const cl = g.locator(`details.clause[data-clause="${clause}"]`);
        expect(await cl.locator('details.check').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')))).toEqual(ids);
        expect(await cl.locator(':scope > summary').innerText()).toContain(`${ids.length} check`);
      }
    }
    // A clause with a failure is open; one without is closed, and says so with its marker.
    const marker = (sel: string) => page.locator(sel).evaluate((e) => (globalThis as unknown as Win).getComputedStyle(e, '::before').content);
    expect(await page.locator('details.clause[data-clause="auth.prefix"]').getAttribute('open')).not.toBeNull();
    expect(await page.locator('details.clause[data-clause="auth.valid-key"]').getAttribute('open')).toBeNull();
    expect(await marker('details.clause[data-clause="auth.prefix"] > summary')).toBe('"▾"');
    expect(await marker('details.clause[data-clause="auth.valid-key"] > summary')).toBe('"▸"');
    expect(await marker('details[data-id="hdr.prefix.bearer"] > summary')).toBe('"▸"');
    // Symbols that Debian's default fonts render: no emoji in the page's own text (the guide's ❌ is
    // shown as ×); what a target answered (in <pre>, e.g. the mock's /openapi.json) is shown as sent.
    await page.locator('#expand').click();
    const own = await page.locator('body').evaluate((b) => {
      const copy = b.cloneNode(true) as typeof b;
      for (const pre of copy.querySelectorAll('pre')) pre.remove();
      return copy.textContent ?? '';
    });
    expect(own).toContain('Error 401');
    expect(own).not.toMatch(/\p{Emoji_Presentation}|\uFE0F/u);
    expect(await page.locator('details[data-id="auth.missing.listDirectories"] blockquote').innerText()).toMatch(/^× Error 400/);
    expect(problems).toEqual([]);
    await page.close();
  });

  test('deep links open their check; filters and search live in the URL hash and survive a reload', async (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    const { page, problems } = await open(file);
    const url = pathToFileURL(file).href;
    // A deep link into a closed clause opens the clause and the check, and shows it.
    await page.goto(`${url}#check-auth.valid.listFiles`);
    const valid = page.locator('details[data-id="auth.valid.listFiles"]');
    expect(await valid.getAttribute('open')).not.toBeNull();
    expect(await page.locator('details.clause[data-clause="auth.valid-key"]').getAttribute('open')).not.toBeNull();
    expect(await valid.locator('pre').first().isVisible()).toBe(true);
    // ... scrolled into view, below the sticky filter bar.
    const barBottom = (await page.locator('.filters').boundingBox())!;
    const top = (await valid.boundingBox())!.y;
    expect(top).toBeGreaterThanOrEqual(barBottom.y + barBottom.height - 1);
    expect(top).toBeLessThan(await page.evaluate(() => (globalThis as unknown as Win).innerHeight));
    // A finding's link opens its check, even one the filters hide.
    await setBoxes(page, 'verdict', ['pass']);
    await page.locator('#findings a[href="#check-hdr.prefix.bearer"]').click();
    const bearer = page.locator('details[data-id="hdr.prefix.bearer"]');
    expect(await bearer.getAttribute('open')).not.toBeNull();
    expect(await bearer.isVisible()).toBe(true);
    expect(await visible(page)).toBe(report.summary.total);

    // Filters and search go to the hash; a reload restores them.
    await page.goto(url);
    await setBoxes(page, 'verdict', ['fail', 'pass']);
    await setBoxes(page, 'level', ['MUST']);
    await page.locator('#search').fill('prefix');
    const hash = new URLSearchParams((await hashOf(page)).slice(1));
    expect(Object.fromEntries(hash)).toEqual({ level: 'MUST', verdict: 'pass,fail', q: 'prefix' });
    const shown = await shownIds(page);
    expect(shown).toEqual(report.checks.filter((c) => c.level === 'MUST' && ['pass', 'fail'].includes(c.verdict) && c.id.includes('prefix')).map((c) => c.id));
    await page.reload();
    expect(await shownIds(page)).toEqual(shown);
    expect(await page.locator('#search').inputValue()).toBe('prefix');
    expect(await page.locator('input[data-filter="level"][value="SHOULD"]').isChecked()).toBe(false);
    expect(await page.locator('#shown').innerText()).toBe(String(shown.length));
    // A state that matches nothing says so.
    await page.goto(`${url}#verdict=error`);
    expect(await visible(page)).toBe(0);
    expect(await page.locator('#no-match').isVisible()).toBe(true);

    // Screenshots at desktop and mobile widths.
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.goto(`${url}#check-hdr.prefix.bearer`);
    await page.screenshot({ path: join(ARTIFACTS, 'report-desktop.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${url}#check-hdr.prefix.bearer`);
    expect(await page.evaluate(() => { const w = globalThis as unknown as Win; return w.document.documentElement.scrollWidth <= w.innerWidth; })).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'report-mobile.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  test('with a baseline: before→after values of each change, and a drift filter', async (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    // The baseline: the same run, where hdr.prefix.bearer passed.
    const baseline = { ...report, checks: report.checks.map((c) => (c.id === 'hdr.prefix.bearer' ? { ...c, verdict: 'pass' as const, outcome: '401 Invalid API key' } : c)) };
    const drifted = withDrift(report, baseline, 'baseline/report.json');
    mkdirSync(ARTIFACTS, { recursive: true });
    const driftFile = join(ARTIFACTS, 'report-drift.html');
    writeFileSync(driftFile, renderHtml(drifted));
    const { page, problems } = await open(driftFile);
    const row = page.locator('#drift-changes tr[data-drift="regression"]');
    expect(await row.innerText()).toMatch(/regression\s+hdr\.prefix\.bearer\s+pass 401 Invalid API key → fail 200/);
    await setBoxes(page, 'drift', ['regression']);
    expect(await shownIds(page)).toEqual(['hdr.prefix.bearer']);
    expect(await hashOf(page)).toBe('#drift=regression');
    const bearer = page.locator('details[data-id="hdr.prefix.bearer"]');
    await bearer.locator('summary').click();
    expect(await bearer.locator('dd').allInnerTexts()).toContain('regression: pass 401 Invalid API key → fail 200');
    await page.screenshot({ path: join(ARTIFACTS, 'report-drift.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });
});

test('hostile target content is shown as text: no injected element, no script run, no console error', async (ctx) => {
  if (skipReason) ctx.skip(skipReason);
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, 'report-hostile.html');
  const report = hostileReport(true); // interrupted, partial
  writeFileSync(file, renderHtml(report));
  const { page, problems, requests } = await open(file);
  await page.locator('#expand').click();
  expect(await page.evaluate('window.__pwned')).toBeUndefined();
  expect(await page.locator('img').count()).toBe(0);
  expect(await page.locator('script').count()).toBe(1);
  expect(await page.locator('details.check').count()).toBe(report.checks.length);
  expect(await page.locator('details[data-id="auth.invalid.b"] pre').last().innerText()).toContain('<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">');
  expect(await page.locator('#interrupted').isVisible()).toBe(true);
  await page.screenshot({ path: join(ARTIFACTS, 'report-hostile.png'), fullPage: true });
  expect(problems).toEqual([]);
  expect(requests).toEqual([pathToFileURL(file).href]);
  await page.close();
});
