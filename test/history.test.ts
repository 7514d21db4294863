// --history: ten runs against a loopback server (in front of the reference mock) that breaks a
// clause from run 6 and mends it at run 9, flips one check every other run, and changes an OBSERVE
// behaviour from run 4. The store, the Markdown summary and the trend page (in chromium) show the
// first failing run, the recovery, the flaky check and the documentation drift; a damaged store is
// replaced with a note; the store keeps the last N runs.
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HISTORY_FILE, readHistory, saveRun, type HistoryEntry } from '../reporters/history.js';
import { startMock, type RunningMock } from '../mock/server.js';
import { listenLocal, MOCK_ENV, ROOT, runInProcess, tempDir, type CliRun } from './helpers.js';

const ARTIFACTS = join(ROOT, 'test-artifacts');

const CHROMIUM = '/usr/bin/chromium';
const skipBrowser = !existsSync(CHROMIUM) && !process.env.CI ? `${CHROMIUM} is absent (apt-get install chromium); this test runs whenever CI is set` : undefined;

/** Which run the server is serving: it changes its behaviour by run. */
const night = { run: 0 };
let mock: RunningMock;
let server: http.Server;
let url: string;
const historyDir = tempDir();
const runs: CliRun[] = [];
const SELECTION = ['--only', 'auth.missing.*', '--only', 'auth.valid.listDirectories', '--only', 'hdr.prefix.lowercase'];
const MISSING = ['auth.missing.createDirectory', 'auth.missing.createFile', 'auth.missing.listDirectories', 'auth.missing.listFiles', 'auth.missing.processTask', 'auth.missing.runCommand'];

/**
 * The mock, with three changes by run: runs 6 to 8 answer a request without Authorization 401
 * (auth.missing-header broken, then mended); even runs answer the valid key's GET /directory with
 * "directories" as an object (auth.valid.listDirectories flips); from run 4 the scheme in lower
 * case ("basic ...") is accepted (an OBSERVE check changes).
 */
function handler(req: http.IncomingMessage, res: http.ServerResponse): void {
  const auth = req.headers.authorization;
  const json = (status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  if (auth === undefined && night.run >= 6 && night.run <= 8) return json(401, { ok: false, error: 'Invalid API key' });
  if (night.run % 2 === 0 && req.method === 'GET' && req.url === '/directory' && auth === MOCK_ENV.FFMPEG_API_KEY) return json(200, { ok: true, directories: {} });
  const headers = { ...req.headers };
  if (night.run >= 4 && auth?.startsWith('basic ')) headers.authorization = `Basic ${auth.slice('basic '.length)}`;
  const upstream = new URL(mock.url);
  const forward = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (answer) => {
    res.writeHead(answer.statusCode!, answer.headers);
    answer.pipe(res);
  });
  forward.on('error', () => res.destroy());
  req.pipe(forward);
}

beforeAll(async () => {
  mock = await startMock();
  server = http.createServer(handler);
  url = await listenLocal(server);
  for (night.run = 1; night.run <= 10; night.run++) {
    // Run 7 is compared with run 6's report: its drift says since when the clause fails.
    const baseline = night.run === 7 ? ['--baseline', join(runs[5]!.dir, 'report.json')] : [];
    const r = await runInProcess(['--target', url, '--history', historyDir, ...SELECTION, ...baseline], MOCK_ENV);
    expect([0, 1], `run ${night.run}: ${r.stderr}`).toContain(r.code);
    runs.push(r);
  }
}, 120_000);
afterAll(async () => {
  server?.close();
  await mock?.close();
});

const failingIn = (e: HistoryEntry) => Object.entries(e.checks).filter(([, c]) => c.v === 'fail').map(([id]) => id).sort();

describe('ten nights in the history', () => {
  test('the store holds every run with its verdicts, versions, duration and requests, and no key', () => {
    const { entries, note } = readHistory(historyDir);
    expect(note).toBeUndefined();
    expect(entries.map((e) => e.run)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(entries.map((e) => e.verdict)).toEqual(['conformant', 'not-conformant', 'conformant', 'not-conformant', 'conformant', 'not-conformant', 'not-conformant', 'not-conformant', 'conformant', 'not-conformant']);
    expect(failingIn(entries[6]!)).toEqual(MISSING);
    expect(failingIn(entries[5]!)).toEqual(['auth.valid.listDirectories', ...MISSING].sort());
    expect(entries[0]).toMatchObject({ tool: { name: 'ffmpeg-api-conformance' }, spec: { version: expect.any(String), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }, target: { url } });
    for (const e of entries) expect(e.requests).toBeGreaterThanOrEqual(8);
    expect(entries.every((e) => e.durationMs > 0)).toBe(true);
    expect(entries.map((e) => e.checks['hdr.prefix.lowercase']!.o?.slice(0, 3))).toEqual(['401', '401', '401', '200', '200', '200', '200', '200', '200', '200']);
    const raw = readFileSync(join(historyDir, HISTORY_FILE), 'utf8');
    expect(raw.trim().split('\n')).toHaveLength(10);
    for (const key of Object.values(MOCK_ENV)) expect(raw).not.toContain(key.slice('Basic '.length));
    expect(runs[0]!.stderr).toMatch(/^history: no .*history\.jsonl yet, starting a new history$/m);
    expect(runs[1]!.stderr).not.toMatch(/history/);
  });

  test('mid-way, with the previous night as baseline: the clause fails since run 6, last passed at run 5', () => {
    const md = readFileSync(join(runs[6]!.dir, 'history.md'), 'utf8');
    const failing = md.split('## Failing now')[1]!.split('##')[0]!;
    for (const id of MISSING) expect(failing).toMatch(new RegExp(`\\| \` ${id.replace(/\./g, '\\.')} \` \\| MUST \\| #6 \\([^)]+\\) \\| #5 \\([^)]+\\) \\|`));
    const report = readFileSync(join(runs[6]!.dir, 'report.md'), 'utf8');
    for (const id of MISSING) expect(report).toMatch(new RegExp(`\\| still failing since #6 \\([^)]+\\) \\| \` ${id.replace(/\./g, '\\.')} \` \\|`));
    expect(readFileSync(join(runs[6]!.dir, 'report.html'), 'utf8')).toContain('<span class="since">since #6 (');
    expect(runs[6]!.stdout).toMatch(new RegExp(`^  still failing since #6 \\([^)]+\\): ${MISSING.join(', ').replace(/\./g, '\\.')}$`, 'm'));
    const drift = runs[6]!.report().drift!;
    expect(drift.checks.filter((d) => d.since).map((d) => [d.id, d.since!.run])).toEqual(MISSING.map((id) => [id, 6]));
  });

  test('history.md after ten runs: the failure from run 6 to 8, passing again at 9; the flaky check; the OBSERVE change at run 4', () => {
    const md = readFileSync(join(runs[9]!.dir, 'history.md'), 'utf8');
    const section = (title: string) => md.split(`## ${title}`)[1]!.split('\n## ')[0]!;
    expect(section('Failures and recoveries')).toMatch(/\| ` auth\.missing-header ` \| MUST \| 6 \| #6 \([^)]+\) \| #8 \([^)]+\) \| #9 \([^)]+\) \|/);
    expect(section('Failures and recoveries')).not.toContain('auth.valid');
    expect(section('Flaky checks')).toContain('| ` auth.valid.listDirectories ` | MUST | 9 | ✓✗✓✗✓✗✓✗✓✗ |');
    expect(section('Failing now')).toMatch(/\| ` auth\.valid\.listDirectories ` \| MUST \| #10 \([^)]+\) \| #9 \([^)]+\) \|/);
    expect(section('Failing now')).not.toContain('auth.missing');
    expect(section('Documentation drift')).toMatch(/\| #4 \([^)]+\) \| ` hdr\.prefix\.lowercase ` \| ` 401 Invalid API key ` \| ` 200 ` \|/);
    expect(section('Runs').match(/^\| #\d+ /gm)).toHaveLength(10);
    expect(runs[9]!.stdout).toMatch(/report: .*history\.html$/m);
  });

  describe.skipIf(skipBrowser)('history.html in chromium', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
    });
    afterAll(async () => {
      await browser?.close();
    });

    test('the first failing run, the recovery, the flaky check, the drift and three plots of ten points; nothing fetched, no error', async () => {
      const file = join(runs[9]!.dir, 'history.html');
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => void (['error', 'warning'].includes(m.type()) && problems.push(m.text())));
      page.on('pageerror', (e) => problems.push(e.message));
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(pathToFileURL(file).href);
      const episode = page.locator('#episodes tr[data-clause="auth.missing-header"]');
      await expect.poll(() => episode.count()).toBe(1);
      expect(await episode.locator('.from').innerText()).toMatch(/^#6 /);
      expect(await episode.locator('.to').innerText()).toMatch(/^#8 /);
      expect(await episode.locator('.recovered').innerText()).toMatch(/^#9 /);
      expect(await page.locator('#flaky tr[data-id="auth.valid.listDirectories"] td.c').evaluateAll((tds) => tds.map((td) => td.textContent).join(''))).toBe('✓✗✓✗✓✗✓✗✓✗');
      const current = page.locator('#current tr[data-id="auth.valid.listDirectories"]');
      expect(await current.locator('.since').innerText()).toMatch(/^#10 /);
      expect(await current.locator('.last-pass').innerText()).toMatch(/^#9 /);
      expect(await page.locator('#observe tr[data-id="hdr.prefix.lowercase"]').innerText()).toMatch(/#4 .*401 Invalid API key\s+200/s);
      // the grid: the missing-header checks fail in runs 6 to 8 only
      const cells = await page.locator('#grid tr[data-id="auth.missing.listFiles"] td.c').evaluateAll((tds) => tds.map((td) => td.textContent).join(''));
      expect(cells).toBe('✓✓✓✓✓✗✗✗✓✓');
      expect(await page.locator('#runs tbody tr').count()).toBe(10);
      for (const plot of ['plot-duration', 'plot-requests', 'plot-not-verified']) {
        const svg = page.locator(`svg#${plot}`);
        expect(await svg.locator('circle').count()).toBe(10);
        const box = await svg.boundingBox();
        expect(box!.width).toBeGreaterThan(300);
      }
      // a link to a run jumps to its row
      await page.locator('#episodes .recovered a').click();
      expect(await page.evaluate(() => (globalThis as unknown as { location: { hash: string } }).location.hash)).toBe('#run-9');
      expect(requests).toEqual([pathToFileURL(file).href]);
      expect(problems).toEqual([]);
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'history.png'), fullPage: true });
      await page.close();
    });
  });
});

describe('the store', () => {
  test('a damaged store is set aside and a new one started, with a one-line note', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, HISTORY_FILE), '{"history":1,"run":1}\nnot json at all\n');
    const r = await runInProcess(['--history', dir, '--only', 'auth.missing.listFiles'], {});
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('history:'))).toEqual([
      `history: ${join(dir, HISTORY_FILE)} is damaged (line 1: fields missing): starting a new history (the old file is kept as ${join(dir, HISTORY_FILE)}.damaged)`,
    ]);
    expect(readFileSync(join(dir, `${HISTORY_FILE}.damaged`), 'utf8')).toContain('not json at all');
    expect(readHistory(dir).entries.map((e) => e.run)).toEqual([1]);
  });

  test('a run of another target than the history\'s last: one warning line, and the run is still added', async () => {
    const dir = tempDir();
    const other = runs[0]!.report();
    saveRun(dir, [], { ...other, target: { ...other.target, name: 'staging' } });
    const r = await runInProcess(['--history', dir, '--only', 'auth.missing.listFiles'], {});
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`warning: the history in ${dir} ends with a run of target staging, not mock: its trend mixes unlike runs`);
    expect(readHistory(dir).entries.map((e) => e.target.name)).toEqual(['staging', 'mock']);
  });

  test('a merge of shards (--merge-reports) is recorded as one run', async () => {
    const dir = tempDir();
    const blobs = join(tempDir(), 'blobs');
    mkdirSync(blobs);
    for (const i of [1, 2]) {
      const shard = await runInProcess(['--target', mock.url, '--only', 'auth.missing.*', '--only', 'hdr.prefix.lowercase', '--shard', `${i}/2`], MOCK_ENV);
      expect(shard.code, shard.stderr).toBe(0);
      cpSync(join(shard.dir, 'blobs'), blobs, { recursive: true });
    }
    const merged = await runInProcess(['--merge-reports', blobs, '--history', dir]);
    expect(merged.code, merged.stderr).toBe(0);
    const [entry, ...rest] = readHistory(dir).entries;
    expect(rest).toEqual([]);
    expect(Object.keys(entry!.checks).sort()).toEqual([...MISSING, 'hdr.prefix.lowercase'].sort());
    expect(existsSync(join(merged.dir, 'history.html'))).toBe(true);
  });

  test('it keeps the last N runs (--history-keep), numbering on', () => {
    const dir = tempDir();
    const report = runs[0]!.report();
    let entries: HistoryEntry[] = [];
    for (let i = 0; i < 5; i++) entries = saveRun(dir, readHistory(dir).entries, report, 3);
    expect(readHistory(dir).entries.map((e) => e.run)).toEqual([3, 4, 5]);
    expect(entries.map((e) => e.run)).toEqual([3, 4, 5]);
  });

  test('--history-keep without --history, a bad count and --history with --shard are bad input (exit 2)', async () => {
    const dir = tempDir();
    const cases: Array<[string[], RegExp]> = [
      [['--history-keep', '5'], /--history-keep needs --history DIR/],
      [['--history', dir, '--history-keep', '0'], /--history-keep must be a whole number from 1 to/],
      [['--history', dir, '--shard', '1/2'], /--history cannot be combined with --shard/],
      [['--history', join(ROOT, 'package.json'), '--only', 'auth.missing.listFiles'], /^error: cannot write the history directory .*package\.json\b/],
    ];
    for (const [args, message] of cases) {
      const r = await runInProcess(args, {});
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim()).toMatch(message);
    }
  });
});
