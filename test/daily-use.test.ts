// The command in daily use: a config file under the flags, reporters and their paths, quiet and
// verbose output, "did you mean", --profile without a targets file, and one run per report directory.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LOCK_FILE } from '../core/lock.js';
import { startMock, type RunningMock } from '../mock/server.js';
import { CLI, cleanEnv, MOCK_ENV, runCli, tempDir, withoutProgress } from './helpers.js';

let mock: RunningMock;
beforeAll(async () => {
  mock = await startMock();
});
afterAll(() => mock.close());

/** A directory holding this config file (as JSON). */
function withConfig(config: unknown, name = 'ffmpeg-api-conformance.config.json'): string {
  const dir = tempDir();
  writeFileSync(join(dir, name), typeof config === 'string' ? config : JSON.stringify(config));
  return dir;
}

describe('the config file', () => {
  test("its options apply to the run, and a flag overrides them", async () => {
    const cwd = withConfig({ $schema: './node_modules/ffmpeg-api-conformance/dist/config.schema.json', only: ['auth.missing.*'], strict: true, timeout: 7, reporter: ['json', 'junit'] });
    const run = await runCli(['--target', mock.url], cleanEnv(MOCK_ENV), { cwd });
    expect(run.code, run.stderr).toBe(0);
    const report = run.report();
    expect(report.selection?.only).toEqual(['auth.missing.*']);
    expect(report.options).toMatchObject({ strict: true, timeoutMs: 7000 });
    expect(readdirSync(run.dir).sort()).toEqual(['junit.xml', 'report.json']);

    const flagged = await runCli(['--target', mock.url, '--timeout', '3', '--only', 'auth.invalid.*', '--reporter', 'json'], cleanEnv(MOCK_ENV), { cwd });
    expect(flagged.code, flagged.stderr).toBe(0);
    expect(flagged.report().options).toMatchObject({ strict: true, timeoutMs: 3000 });
    expect(flagged.report().selection?.only).toEqual(['auth.invalid.*']);
    expect(readdirSync(flagged.dir)).toEqual(['report.json']);
  });

  test('the "ffmpeg-api-conformance" key of package.json, found from a subdirectory; the environment wins over its target', () => {
    const root = withConfig({ name: 'app', 'ffmpeg-api-conformance': { target: 'http://127.0.0.1:9', 'report-dir': 'out' } }, 'package.json');
    const cwd = join(root, 'sub');
    mkdirSync(cwd);
    const printed = (env: NodeJS.ProcessEnv) => JSON.parse(spawnSync(process.execPath, [CLI, '--print-config'], { cwd, env, encoding: 'utf8' }).stdout) as { configFile: string; target: { url: string }; reportDir: string };
    const fromFile = printed(cleanEnv(MOCK_ENV));
    expect(fromFile).toMatchObject({ configFile: join(root, 'package.json'), reportDir: 'out', target: { url: 'http://127.0.0.1:9' } });
    expect(printed(cleanEnv({ ...MOCK_ENV, FFMPEG_API_BASE_URL: 'http://127.0.0.1:10' })).target.url).toBe('http://127.0.0.1:10');
  });

  test('--print-config shows the resolved options with the keys redacted, and sends nothing', () => {
    const cwd = withConfig({ concurrency: 3 });
    const r = spawnSync(process.execPath, [CLI, '--print-config', '--target', mock.url, '--profile', 'key-injecting-proxy'], { cwd, env: cleanEnv(MOCK_ENV), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toContain(MOCK_ENV.FFMPEG_API_KEY.slice('Basic '.length));
    const shown = JSON.parse(r.stdout) as { concurrency: number; target: { profile: string }; keys: Record<string, string> };
    expect(shown).toMatchObject({ concurrency: 3, target: { profile: 'key-injecting-proxy' } });
    expect(shown.keys.FFMPEG_API_KEY).toMatch(/REDACTED/);
    expect(existsSync(join(cwd, 'reports'))).toBe(false);
  });

  test.for([
    ['{"tiemout": 3}', /^error: invalid config .*ffmpeg-api-conformance\.config\.json: .*"tiemout" \(did you mean "timeout"\?\)$/],
    ['{"strict": "yes"}', /^error: invalid config .*: "strict" must be boolean$/],
    ['{"timeout": 3', /^error: invalid config .*: not JSON/],
  ] as const)('a bad file %s: exit 2, one line', ([text, line]) => {
    const r = spawnSync(process.execPath, [CLI, '--list'], { cwd: withConfig(text), env: cleanEnv(), encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(line)]);
  });
});

describe('reporters, output and flags', () => {
  test('--reporter junit writes only junit.xml (and removes the other reports an earlier run left there)', async () => {
    const first = await runCli(['--target', mock.url, '--only', 'auth.missing.*'], cleanEnv(MOCK_ENV));
    expect(readdirSync(first.dir).sort()).toEqual(['junit.xml', 'report.html', 'report.json', 'report.md']);
    const run = await runCli(['--target', mock.url, '--only', 'auth.missing.*', '--reporter', 'junit', '--report-dir', first.dir], cleanEnv(MOCK_ENV), { cwd: first.dir });
    expect(run.code, run.stderr).toBe(0);
    expect(readdirSync(first.dir)).toEqual(['junit.xml']);
    expect(run.stdout).toMatch(/report: .*junit\.xml$/m);
  });

  test('--output-file.junit puts junit.xml where it says; a reporter not chosen cannot have a path', async () => {
    const out = join(tempDir(), 'ci', 'results.xml');
    const run = await runCli(['--target', mock.url, '--only', 'auth.missing.*', '--reporter', 'json,junit', '--output-file.junit', out], cleanEnv(MOCK_ENV));
    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(out)).toBe(true);
    expect(readdirSync(run.dir)).toEqual(['report.json']);
    const bad = await runCli(['--reporter', 'junit', '--output-file.md', 'x.md', '--list']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('error: --output-file.md is given but --reporter leaves out md');
    const typo = await runCli(['--reporter', 'junti', '--list']);
    expect(typo.stderr.trim()).toBe('error: --reporter junti is not a reporter: json, md, html, junit (did you mean junit?)');
  });

  test('--quiet prints the verdict line only; --verbose each request and answer, redacted', async () => {
    const quiet = await runCli(['--target', mock.url, '--only', 'auth.missing.*', '--quiet'], cleanEnv(MOCK_ENV));
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stdout.trim().split('\n')).toEqual([expect.stringMatching(/^CONFORMANT .*— 6 checks in /)]);
    const verbose = await runCli(['--target', mock.url, '--only', 'auth.invalid.listDirectories', '--verbose'], cleanEnv(MOCK_ENV));
    expect(verbose.code, verbose.stderr).toBe(0);
    expect(verbose.stdout).toMatch(/→ GET http:\/\/127\.0\.0\.1:\d+\/directory {2}Authorization: /);
    expect(verbose.stdout).toMatch(/← 401 application\/json(; charset=utf-8)? \{"ok":false,"error":"Invalid API key"\}/);
    for (const key of Object.values(MOCK_ENV)) expect(verbose.stdout).not.toContain(key.slice('Basic '.length));
  });

  test('a mistyped flag: exit 2, one line naming the nearest flag', async () => {
    const r = await runCli(['--tagret', mock.url]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('error: unknown flag --tagret (did you mean --target?) (see --help)');
    const far = await runCli(['--frobnicate']);
    expect(far.stderr.trim()).toBe('error: unknown flag --frobnicate (see --help)');
  });

  test('--help names the values flags take', async () => {
    const r = await runCli(['--help']);
    expect(r.stdout).toMatch(/--timeout <seconds> /);
    expect(r.stdout).toMatch(/--target <url\|name\|mock> /);
    expect(r.stdout).toMatch(/--profile <direct\|key-injecting-proxy> /);
    expect(r.stdout).toMatch(/ffmpeg-api-conformance mock/);
  });

  test('--profile key-injecting-proxy without a targets file: the proxy profile is checked', async () => {
    const proxy = await startMock({ injectKey: true });
    try {
      const run = await runCli(['--target', proxy.url, '--profile', 'key-injecting-proxy'], cleanEnv({ FFMPEG_API_KEY: MOCK_ENV.FFMPEG_API_KEY }));
      expect(run.report().target.profile).toBe('key-injecting-proxy');
      expect(run.report().checks.some((c) => c.group.includes('proxy') && c.verdict === 'pass')).toBe(true);
    } finally {
      await proxy.close();
    }
    const bad = await runCli(['--profile', 'proxy', '--list']);
    expect(bad.stderr.trim()).toMatch(/^error: --profile proxy is not a profile: direct, key-injecting-proxy$/);
  });
});

describe('one run, one directory', () => {
  test('a second run into the directory while the first runs: exit 2, one line; the first finishes and leaves no lock', async () => {
    const slow = await startMock({ latencyMs: 150 });
    try {
      const dir = tempDir();
      let second: Promise<Awaited<ReturnType<typeof runCli>>> | undefined;
      const first = await runCli(['--target', slow.url, '--concurrency', '2', '--report-dir', dir], cleanEnv(MOCK_ENV), {
        onOutput: (o) => {
          if (!second && o.stdout.includes('checking')) second = runCli(['--target', slow.url, '--report-dir', dir], cleanEnv(MOCK_ENV));
        },
      });
      const other = await second!;
      expect(other.code).toBe(2);
      expect(withoutProgress(other.stderr).trim().split('\n')).toEqual([expect.stringMatching(/^error: another run \(pid \d+\) is writing into .*: wait for it, or use another --report-dir/)]);
      expect(first.code, first.stderr).toBe(0);
      expect(readdirSync(dir).sort()).toEqual(['junit.xml', 'report.html', 'report.json', 'report.md']);
    } finally {
      await slow.close();
    }
  });

  test('a stale lock (its process gone) is taken over with a note; stale blobs are removed', async () => {
    const dir = tempDir();
    const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: Number(gone.stdout.trim()) }));
    mkdirSync(join(dir, 'blobs'));
    writeFileSync(join(dir, 'blobs', 'blob-1-2.json'), '{}');
    const run = await runCli(['--target', mock.url, '--only', 'auth.missing.*', '--report-dir', dir], cleanEnv(MOCK_ENV));
    expect(run.code, run.stderr).toBe(0);
    expect(withoutProgress(run.stderr)).toMatch(/^note: .* held the lock of a run that is gone \(pid \d+\); taken over$/m);
    expect(readdirSync(dir).sort()).toEqual(['blobs', 'junit.xml', 'report.html', 'report.json', 'report.md']);
    expect(readdirSync(join(dir, 'blobs'))).toEqual([]);
  });
});
