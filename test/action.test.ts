// The GitHub Action (action.yml) runs scripts/action.sh: here with fake GITHUB_* files, as a runner would.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { startMock } from '../src/mock/server.js';
import { cleanEnv, MOCK_ENV, ROOT, tempDir } from './helpers.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Runs the action's shell step with its inputs; the outputs and summary read back. */
function runAction(inputs: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string; outputs: Record<string, string>; summary: string; cwd: string }> {
  const cwd = tempDir();
  dirs.push(cwd);
  const files = { GITHUB_OUTPUT: join(cwd, 'output'), GITHUB_STEP_SUMMARY: join(cwd, 'summary') };
  for (const f of Object.values(files)) writeFileSync(f, '');
  const env = cleanEnv({ ...files, GITHUB_ACTION_PATH: ROOT, ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase().replace(/-/g, '_')}`, v])) });
  const child = spawn('bash', [join(ROOT, 'scripts/action.sh')], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) =>
    child.on('close', (code) => {
      const outputs = Object.fromEntries(readFileSync(files.GITHUB_OUTPUT, 'utf8').trim().split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2) as [string, string]));
      resolve({ code, stdout, stderr, outputs, summary: readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8'), cwd });
    }),
  );
}

describe('the action step', () => {
  test('against the bundled mock: exit 0, the Markdown report in the job summary, the outputs set', async () => {
    const r = await runAction({ 'report-dir': 'out' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.outputs).toEqual({ verdict: 'conformant', 'exit-code': '0', scope: '', 'report-path': 'out/report.json' });
    expect(r.summary).toBe(readFileSync(join(r.cwd, 'out/report.md'), 'utf8'));
  });

  test('a target with a fault, strict, keys from the inputs and a selection: exit 1, not-conformant, no key in any output', async () => {
    const mock = await startMock({ faults: ['bearer-accepted'] });
    try {
      const r = await runAction({ target: mock.url, 'api-key': MOCK_ENV.FFMPEG_API_KEY, 'quota-exceeded-key': MOCK_ENV.FFMPEG_API_QUOTA_EXCEEDED_KEY, 'revoked-key': MOCK_ENV.FFMPEG_API_REVOKED_KEY, strict: 'true', args: '--only auth.*' });
      expect(r.code, r.stderr).toBe(1);
      expect(r.outputs).toEqual({ verdict: 'not-conformant', 'exit-code': '1', scope: expect.stringMatching(/^\d+ of \d+ checks: --only auth\.\*$/), 'report-path': 'conformance-reports/report.json' });
      expect(r.stdout).toMatch(/^Selection: \d+ checks \(--only auth\.\*\)$/m);
      const report = JSON.parse(readFileSync(join(r.cwd, 'conformance-reports/report.json'), 'utf8')) as { options: { strict: boolean } };
      expect(report.options.strict).toBe(true);
      const token = MOCK_ENV.FFMPEG_API_KEY.slice('Basic '.length);
      for (const text of [r.stdout, r.stderr, r.summary]) expect(text).not.toContain(token);
    } finally {
      await mock.close();
    }
  });

  test('a target that cannot be run: exit 2, verdict could-not-run, the summary says there is no report', async () => {
    const r = await runAction({ target: 'not a url' });
    expect(r.code).toBe(2);
    expect(r.outputs).toEqual({ verdict: 'could-not-run', 'exit-code': '2', scope: '', 'report-path': '' });
    expect(r.summary).toMatch(/no report\*\* \(exit 2\)/);
  });
});
