// Interrupted and crashed runs: the process ends on its own, exit 130 (2 for a crash), and the
// report holds the checks that ran, marked interrupted, written whole or not at all.
import { readdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildCatalog } from '../suites/catalog.js';
import { startMock, type RunningMock } from '../src/mock/server.js';
import { loadContract } from '../src/spec.js';
import { cleanEnv, MOCK_ENV, runCli, withoutProgress } from './helpers.js';

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
    expect(report.checks.length).toBeGreaterThanOrEqual(1);
    expect(report.checks.length).toBeLessThan(total);
    expect(report.checks.map((c) => c.id)).toContain(firstFailure(run.stdout));
    // Checks cut short are left out, not reported (once or twice) as not-verified; only checks that
    // do not apply to this target (decided without a request) may already be in as not-verified.
    const ids = report.checks.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(report.checks.filter((c) => c.verdict === 'not-verified' && c.cause !== 'inapplicable')).toEqual([]);
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
    expect(report.checks.length).toBeGreaterThanOrEqual(1);
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
  expect(report.checks.length).toBeLessThan(buildCatalog(await loadContract()).length);
});
