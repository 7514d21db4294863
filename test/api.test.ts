// The programmatic API in this process (no spawned command): two runs at once keep their keys and
// their lines apart, and neither touches process.env.
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { DEFAULT_KEYS, runConformance, startMock, UsageError } from '../app/index.js';
import { tempDir } from './helpers.js';

test('two runConformance calls at once: each run uses its own keys, its lines reach its own onLine only', async () => {
  // Each mock accepts another valid key: a run that saw the other's key would find it refused (inconclusive).
  const keys = [`Basic ${Buffer.from('api_run_one:valid-key-0001').toString('base64')}`, `Basic ${Buffer.from('api_run_two:valid-key-0002').toString('base64')}`];
  const before = { ...process.env };
  const [broken, sound] = await Promise.all([startMock({ faults: ['bearer-accepted'], keys: { ...DEFAULT_KEYS, valid: keys[0]! } }), startMock({ keys: { ...DEFAULT_KEYS, valid: keys[1]! } })]);
  try {
    const runs = [broken, sound].map((mock, i) => {
      const lines: string[] = [];
      const reportDir = tempDir();
      const report = runConformance({
        target: mock.url,
        reportDir,
        only: ['auth.prefix*', 'auth.valid.listDirectories'],
        keys: { valid: keys[i]!, quota: DEFAULT_KEYS.quota, revoked: DEFAULT_KEYS.revoked },
        onLine: (line, stream) => lines.push(`${stream}: ${line}`),
      });
      return { mock, lines, reportDir, report };
    });
    const reports = await Promise.all(runs.map((r) => r.report));
    expect(reports.map((r) => r.summary.verdict)).toEqual(['not-conformant', 'conformant']);
    for (const report of reports) expect(report.checks.find((c) => c.id === 'auth.valid.listDirectories')?.verdict).toBe('pass');
    for (const [i, run] of runs.entries()) {
      const other = runs[1 - i]!;
      const text = run.lines.join('\n');
      expect(text).toContain(`checking ${run.mock.url}`);
      expect(text).toContain(join(run.reportDir, 'report.json'));
      expect(text).not.toContain(other.mock.url);
      expect(text).not.toContain(other.reportDir);
    }
    // The failure printed as it happened is the broken target's, and only there.
    expect(runs[0]!.lines).toContainEqual(expect.stringMatching(/^stdout: .*hdr\.prefix\.bearer \[MUST\] .*FAIL/));
    expect(runs[1]!.lines.join('\n')).not.toContain('FAIL');
    expect(process.env).toEqual(before);
  } finally {
    await Promise.all([broken.close(), sound.close()]);
  }
});

test('typed options are checked as the flags are: a bad one rejects with the command\'s one-line error, before anything starts', async () => {
  const reportDir = tempDir();
  await expect(runConformance({ concurrency: 0, reportDir })).rejects.toThrow(new UsageError('--concurrency must be a whole number from 1 to 256, got "0"'));
  await expect(runConformance({ timeoutSeconds: 0.0001, reportDir })).rejects.toBeInstanceOf(UsageError);
  await expect(runConformance({ historyKeep: 5, reportDir })).rejects.toThrow('--history-keep needs --history DIR');
});
