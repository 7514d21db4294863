// The programmatic API in this process (no spawned command): two runs at once keep their lines apart.
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { DEFAULT_KEYS, runConformance, startMock } from '../src/index.js';
import { KEY_VARS, type KeyRole } from '../src/config.js';
import { tempDir } from './helpers.js';

test("two runConformance calls at once: each run's lines reach its own onLine only", async () => {
  // The keys are set for the whole test: each run puts back what it found, so neither run ends
  // the other's keys (its suite worker reads them from the environment).
  const saved = { ...process.env };
  for (const role of Object.keys(KEY_VARS) as KeyRole[]) process.env[KEY_VARS[role]] = DEFAULT_KEYS[role];
  const [broken, sound] = await Promise.all([startMock({ faults: ['bearer-accepted'] }), startMock()]);
  try {
    const runs = [broken, sound].map((mock) => {
      const lines: string[] = [];
      const reportDir = tempDir();
      const report = runConformance({ target: mock.url, reportDir, only: ['auth.prefix*'], onLine: (line, stream) => lines.push(`${stream}: ${line}`) });
      return { mock, lines, reportDir, report };
    });
    const reports = await Promise.all(runs.map((r) => r.report));
    expect(reports.map((r) => r.summary.verdict)).toEqual(['not-conformant', 'conformant']);
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
  } finally {
    await Promise.all([broken.close(), sound.close()]);
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
});
