// Interrupted and crashed runs: the process ends on its own, exit 130 (2 for a crash), and the
// report holds the checks that ran, marked interrupted, written whole or not at all.
import { readdirSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildCatalog } from '../suites/catalog.js';
import { startMock, type RunningMock } from '../mock/server.js';
import { loadContract } from '../core/spec.js';
import { cleanEnv, listenLocal, MOCK_ENV, runCli, tempDir, withoutProgress } from './helpers.js';

const CRASH = pathToFileURL(new URL('fixtures/crash-after-first-result.mjs', import.meta.url).pathname).href;

describe('a run stopped mid-way', () => {
  // A slow target with a fault the first checks catch: a failure is printed (✗) early on (about 2 s
  // into a 7 s run; a fault caught only by the last checks leaves the signal no run to stop).
  let mock: RunningMock;
  let total: number;
  beforeAll(async () => {
    mock = await startMock({ latencyMs: 250, faults: ['wrong-error-text'] });
    total = buildCatalog(await loadContract()).length;
  });
  afterAll(() => mock.close());

  const args = () => ['--target', mock.url, '--concurrency', '4'];
  const firstResult = (o: { stdout: string }) => o.stdout.includes('✗');
  const firstFailure = (stdout: string) => /✗ (\S+)/.exec(stdout)?.[1];

  test.for(['SIGINT', 'SIGTERM'] as const)('%s after the first results: exit 130, a report of the checks that ran', async (signal) => {
    let sent = false;
    const run = await runCli(args(), cleanEnv(MOCK_ENV), {
      onOutput: (o, child) => {
        if (!sent && firstResult(o)) sent = child.kill(signal);
      },
    });
    expect(sent).toBe(true);
    expect(run.code, run.stdout + run.stderr).toBe(130);
    expect(withoutProgress(run.stderr)).toMatch(/^interrupted: /);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stdout).toMatch(/INTERRUPTED/);
    const report = run.report();
    expect(report.interrupted).toBe(true);
    expect(report.summary.exitCode).toBe(130);
    expect(report.checks.map((c) => c.id)).toContain(firstFailure(run.stdout));
    // Every check once: those that finished with their verdict, the others not-verified as interrupted
    // (never as an error or a timeout); only checks that do not apply to this target are not-verified otherwise.
    const ids = report.checks.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(total);
    const cut = report.checks.filter((c) => c.cause === 'interrupted');
    expect(cut.length).toBeGreaterThanOrEqual(1);
    expect(cut.length).toBeLessThan(total);
    expect(report.checks.filter((c) => c.verdict === 'not-verified' && c.cause !== 'inapplicable' && c.cause !== 'interrupted')).toEqual([]);
    expect(report.checks.filter((c) => c.verdict === 'error')).toEqual([]);
  });

  test('a second signal stops at once and still leaves a whole report', async () => {
    let signals = 0;
    const run = await runCli(args(), cleanEnv(MOCK_ENV), {
      onOutput: (o, child) => {
        if (signals === 0 && firstResult(o)) signals += Number(child.kill('SIGINT'));
        else if (signals === 1 && o.stderr.includes('interrupted:')) signals += Number(child.kill('SIGINT'));
      },
    });
    expect(signals).toBe(2);
    expect(run.code, run.stdout + run.stderr).toBe(130);
    const report = run.report(); // parses: written whole
    expect(report.interrupted).toBe(true);
    expect(report.checks.filter((c) => c.cause !== 'interrupted').length).toBeGreaterThanOrEqual(1);
    expect(readdirSync(run.dir).sort()).toEqual(['junit.xml', 'report.html', 'report.json', 'report.md']); // every view, and no temporary file left behind
  });

  test('a crash mid-run (an uncaught exception) leaves one error line, exit 2 and a report of the checks that ran', async () => {
    const run = await runCli(args(), cleanEnv({ ...MOCK_ENV, NODE_OPTIONS: `--import=${CRASH}` }));
    expect(run.code, run.stdout + run.stderr).toBe(2);
    expect(withoutProgress(run.stderr).trim().split('\n')).toEqual([expect.stringMatching(/^internal error: injected crash after the first result \(the checks that ran are in .*report\.json\)$/)]);
    // the report says what the process does (issue 13, case 8): exit 2, not an interruption
    const report = run.report();
    expect(report.interrupted).toBe(false);
    expect(report.summary).toMatchObject({ exitCode: 2, verdict: 'could-not-run' });
    expect(report.checks.length).toBeGreaterThanOrEqual(1);
  });
});

test('SIGTERM as the run starts: the bundled mock closes, exit 130, a report marked interrupted', async () => {
  let sent = false;
  const run = await runCli([], cleanEnv(), {
    onOutput: (o, child) => {
      if (!sent && o.stdout.includes('checking')) sent = child.kill('SIGTERM');
    },
  });
  expect(sent).toBe(true);
  expect(run.code, run.stdout + run.stderr).toBe(130);
  const report = run.report();
  expect(report.interrupted).toBe(true);
  expect(report.target.bundledMock).toBe(true);
  expect(report.checks.filter((c) => c.cause === 'interrupted').length).toBeGreaterThan(0);
});

/** A target whose first two requests (the preflight's) the mock answers, and whose every later request hangs: no answer, ever. */
async function hangingTarget() {
  const mock = await startMock();
  let forwarded = 0;
  const hanging = new Set<ServerResponse>();
  const target = {
    url: '',
    hanging,
    onHanging: () => {},
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      server.close();
      await mock.close();
    },
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (forwarded++ < 2) {
      const up = request(`${mock.url}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
      });
      req.pipe(up);
      return;
    }
    hanging.add(res);
    res.on('close', () => hanging.delete(res));
    target.onHanging();
  });
  target.url = await listenLocal(server);
  return target;
}

describe('stopped while every request hangs (--timeout 600, --deadline 3600: only cutting them ends the run)', () => {
  const slow = ['--concurrency', '4', '--timeout', '600', '--deadline', '3600'];

  test('SIGINT: the requests are cut, exit 130, the unfinished checks say interrupted', async () => {
    const target = await hangingTarget();
    try {
      let sent = false;
      const run = await runCli(['--target', target.url, ...slow], cleanEnv(MOCK_ENV), {
        onOutput: (_, child) => {
          // once the run is under way and 4 requests hang
          target.onHanging = () => {
            if (!sent && target.hanging.size >= 4) sent = child.kill('SIGINT');
          };
          target.onHanging();
        },
      });
      expect(sent).toBe(true);
      expect(run.code, run.stdout + run.stderr).toBe(130);
      expect(run.stdout).toMatch(/INTERRUPTED/);
      expect(withoutProgress(run.stderr)).not.toMatch(/✗|FAIL/);
      const report = run.report();
      expect(report.interrupted).toBe(true);
      expect(report.summary).toMatchObject({ verdict: 'interrupted', exitCode: 130 });
      expect(report.checks).toHaveLength(buildCatalog(await loadContract()).length);
      // nothing was judged on an answer that never came: the applicable checks all say interrupted, none timed out
      const unfinished = report.checks.filter((c) => c.cause !== 'inapplicable');
      expect(unfinished.length).toBeGreaterThan(0);
      for (const c of unfinished) expect(c, c.id).toMatchObject({ verdict: 'not-verified', cause: 'interrupted' });
      expect(report.checks.filter((c) => c.verdict === 'error' || /time/i.test(c.reason ?? ''))).toEqual([]);
    } finally {
      await target.close();
    }
  });

  // Without the cut, the run would wait for answers that never come (600 s), and this test would time out.
  test('the API: aborting the signal cuts the requests in flight and resolves with the interrupted report', async () => {
    const target = await hangingTarget();
    const { runConformance, DEFAULT_KEYS } = await import('../app/index.js');
    const abort = new AbortController();
    target.onHanging = () => {
      if (target.hanging.size >= 4) abort.abort();
    };
    try {
      const report = await runConformance({ target: target.url, keys: DEFAULT_KEYS, concurrency: 4, timeoutSeconds: 600, deadlineSeconds: 3600, reportDir: tempDir(), signal: abort.signal });
      expect(report.summary.verdict).toBe('interrupted');
      expect(report.checks.filter((c) => c.cause !== 'inapplicable' && c.cause !== 'interrupted')).toEqual([]);
    } finally {
      await target.close();
    }
  });
});
