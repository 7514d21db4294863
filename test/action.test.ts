// The GitHub Action (action.yml) runs scripts/action.sh: here with fake GITHUB_* files, as a runner would.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, test } from 'vitest';
import { startMock } from '../mock/server.js';
import { cleanEnv, MOCK_ENV, ROOT, tempDir } from './helpers.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Runs the action's shell step with its inputs; the outputs and summary read back. */
function runAction(inputs: Record<string, string>, extraEnv: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string; outputs: Record<string, string>; summary: string; cwd: string }> {
  const cwd = tempDir();
  dirs.push(cwd);
  const files = { GITHUB_OUTPUT: join(cwd, 'output'), GITHUB_STEP_SUMMARY: join(cwd, 'summary') };
  for (const f of Object.values(files)) writeFileSync(f, '');
  const env = cleanEnv({ ...files, ...extraEnv, GITHUB_ACTION_PATH: ROOT, ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase().replace(/-/g, '_')}`, v])) });
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

  test("args are split as a shell splits words: --only 'auth.missing.*' selects the six checks; a history puts the trend in the job summary", async () => {
    const r = await runAction({ args: `--only 'auth.missing.*' --skip "auth.missing.run*"`, history: 'hist', 'report-dir': 'out' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Selection: 5 checks \(--only auth\.missing\.\* --skip auth\.missing\.run\*\)$/m);
    expect(r.summary).toBe(`${readFileSync(join(r.cwd, 'out/report.md'), 'utf8')}\n${readFileSync(join(r.cwd, 'out/history.md'), 'utf8')}`);
    expect(readFileSync(join(r.cwd, 'hist/history.jsonl'), 'utf8').trim().split('\n')).toHaveLength(1);
  });

  test('args with a variable or a shell operator are refused, nothing run: exit 2, could-not-run', async () => {
    for (const args of ['--only $HOME', '--only auth.* ; echo ran', '--only "$(echo ran)"']) {
      const r = await runAction({ args });
      expect(r.code, args).toBe(2);
      expect(r.stderr, args).toMatch(/^args: (the variable \$HOME|the shell operator ;|command substitution \(\$\(\.\.\.\)\)) is not expanded or run here/m);
      expect(r.stdout, args).not.toMatch(/^ran$/m);
      expect(r.outputs, args).toEqual({ verdict: 'could-not-run', 'exit-code': '2', 'report-path': '' });
    }
  });

  test('under GitHub Actions (GITHUB_ACTIONS=true): one ::error annotation per broken clause, with the clause and its checks, escaped', async () => {
    const mock = await startMock({ faults: ['missing-header-401'] });
    try {
      const r = await runAction({ target: mock.url, 'api-key': MOCK_ENV.FFMPEG_API_KEY, args: "--only 'auth.missing.*'" }, { GITHUB_ACTIONS: 'true' });
      expect(r.code, r.stderr).toBe(1);
      const annotations = r.stdout.split('\n').filter((l) => l.startsWith('::'));
      expect(annotations).toEqual([
        '::error title=FFmpeg API conformance%3A auth.missing-header (MUST) fail::auth.missing-header (MUST) — 6 checks: expected 400 {"ok":false,"error":"Missing Authorization header"}, got 401 {"ok":false,"error":"Invalid API key"}%0Achecks: auth.missing.createDirectory, auth.missing.createFile, auth.missing.listDirectories, auth.missing.listFiles, auth.missing.processTask, auth.missing.runCommand',
      ]);
      expect(r.stdout).not.toContain(MOCK_ENV.FFMPEG_API_KEY.slice('Basic '.length));
    } finally {
      await mock.close();
    }
    // Without GITHUB_ACTIONS: none.
    const plain = await runAction({ args: "--only 'auth.missing.*'" });
    expect(plain.stdout).not.toMatch(/^::/m);
  });
});

describe('the action and the workflows, as GitHub reads them', () => {
  const yaml = (file: string) => parse(readFileSync(join(ROOT, file), 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

  test('action.yml: every input reaches the step; the installed tool is restored and saved under the key of its build inputs', () => {
    const action = yaml('action.yml');
    const steps = action.runs.steps as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const run = steps.find((s) => s.id === 'run')!;
    for (const input of Object.keys(action.inputs).filter((i) => !['upload', 'artifact-name'].includes(i)))
      expect(run.env[`INPUT_${input.toUpperCase().replace(/-/g, '_')}`], input).toBe(`\${{ inputs.${input} }}`);
    const restore = steps.find((s) => s.uses === 'actions/cache/restore@v4')!;
    const save = steps.find((s) => s.uses === 'actions/cache/save@v4')!;
    expect(restore.with).toEqual(save.with);
    expect(restore.with.key).toBe('${{ steps.tool.outputs.key }}');
    expect(steps.indexOf(save)).toBeLessThan(steps.indexOf(run));
  });

  test('the cache key: the platform, node and the sha256 of the build inputs (lockfile included), the same the build stamps', async () => {
    const { inputsSha256 } = (await import('../scripts/build-inputs.mjs')) as { inputsSha256: (root: string) => string };
    const out = await new Promise<string>((resolve) => {
      const child = spawn(process.execPath, [join(ROOT, 'scripts/action-cache-key.mjs')]);
      let text = '';
      child.stdout.on('data', (d) => (text += d));
      child.on('close', () => resolve(text));
    });
    expect(out).toBe(`key=ffmpeg-api-conformance-${process.platform}-${process.arch}-node${process.versions.node.split('.')[0]}-${inputsSha256(ROOT)}\ndir=${ROOT.replace(/\/$/, '')}\n`);
  });

  test('the reusable workflow takes targets, a targets file, shards, history and strictness, and the keys as secrets; the nightly calls it', () => {
    const reusable = yaml('.github/workflows/conformance.yml');
    const call = reusable.on.workflow_call;
    expect(Object.keys(call.inputs)).toEqual(expect.arrayContaining(['targets', 'targets-file', 'shards', 'history', 'history-keep', 'strict', 'require-complete']));
    expect(Object.keys(call.secrets)).toEqual(['FFMPEG_API_KEY', 'FFMPEG_API_QUOTA_EXCEEDED_KEY', 'FFMPEG_API_REVOKED_KEY']);
    // the keys only go to the shard jobs, never to the bundled mock
    expect(JSON.stringify(reusable.jobs.report)).not.toContain('secrets.');
    const shardRun = (reusable.jobs.shard.steps as Array<Record<string, any>>).find((s) => s.uses === './.conformance-tool')!; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(shardRun.with['api-key']).toBe("${{ matrix.target != 'mock' && secrets.FFMPEG_API_KEY || '' }}");
    const nightly = yaml('.github/workflows/conformance-nightly.yml');
    expect(Object.values(nightly.jobs as Record<string, { uses: string; secrets: string }>)).toEqual([expect.objectContaining({ uses: './.github/workflows/conformance.yml', secrets: 'inherit' })]);
  });
});

