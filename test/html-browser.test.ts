// report.html in a real browser (Debian's chromium through playwright-core): the counts shown are
// the JSON's, the filters and the search work, checks expand to their exchange, nothing goes to
// the network, hostile content stays text, and the console stays clean. Screenshots go to
// test-artifacts/ (gitignored).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { renderHtml } from '../reporters/html.js';
import type { Report } from '../reporters/model.js';
import { LEVELS } from '../src/spec.js';
import { VERDICTS } from '../reporters/model.js';
import { startMock, type RunningMock } from '../src/mock/server.js';
import { hostileReport } from './fixtures.js';
import { cleanEnv, MOCK_ENV, ROOT, runCli } from './helpers.js';

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

const visible = (page: Page) => page.locator('details.check:visible').count();
const setBoxes = async (page: Page, kind: 'level' | 'verdict', on: readonly string[]) => {
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
    expect(await page.locator('details.check:visible').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')))).toEqual(['hdr.prefix.bearer']);
    await page.locator('#search').fill('no such text anywhere');
    expect(await visible(page)).toBe(0);
    await page.locator('#search').fill('');
    expect(await visible(page)).toBe(s.total);

    // Expand a failed check: its redacted request and the response are there.
    const bearer = page.locator('details[data-id="hdr.prefix.bearer"]');
    expect(await bearer.locator('pre').first().isVisible()).toBe(false);
    await bearer.locator('summary').click();
    const exchange = await bearer.locator('pre').allInnerTexts();
    expect(exchange.join('\n')).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/directory/m);
    expect(exchange.join('\n')).toContain('Authorization: Bearer [REDACTED:FFMPEG_API_KEY]');
    expect(exchange.join('\n')).toMatch(/^200 {3}Content-Type: application\/json/m);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: join(ARTIFACTS, 'report-html.png'), fullPage: true });
    expect(problems).toEqual([]);
    expect(requests).toEqual([pathToFileURL(file).href]);
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
