// The `conformance` command as a user meets it: defaults, bad input, exit codes, no leaked key.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { startMock } from '../mock/server.js';
import { cleanEnv, listenLocal, MOCK_ENV, ROOT, runCli, runInProcess, tempDir } from './helpers.js';

describe('the default run', () => {
  test('checks the bundled mock offline, exits 0 and writes report.json', async () => {
    const run = await runCli([]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/CONFORMANT/);
    const report = run.report();
    expect(report.target.bundledMock).toBe(true);
    expect(report.summary.total).toBeGreaterThanOrEqual(60);
    expect(report.spec.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(report.checks.every((c) => c.id && c.clause && c.level)).toBe(true);
    // Each check refers to its clause in the report's one clause table, which holds the quote and source.
    expect(report.checks.every((c) => report.clauses.some((k) => k.id === c.clause && k.quote && k.source))).toBe(true);
    expect(report.checks.some((c) => 'quote' in c || 'source' in c)).toBe(false);
  });

  test('--help lists the options and exits 0', async () => {
    const run = await runCli(['--help']);
    expect(run.code).toBe(0);
    for (const flag of ['--target', '--report-dir', '--strict', 'Exit codes']) expect(run.stdout).toContain(flag);
  });
});

test('output piped into a reader that has stopped (| head) ends quietly, exit 0', async () => {
  const { spawnSync } = await import('node:child_process');
  // `true` exits at once, so every write of the command meets a closed pipe (EPIPE).
  const cmd = `set -o pipefail; node dist/app/cli.js --target https://api.ffmpeg-api.com --plan | true`;
  const r = spawnSync('bash', ['-c', cmd], { cwd: ROOT, env: cleanEnv(), encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
});

test('a slow run says on stderr how far it is, every 5 s', async () => {
  const mock = await startMock({ latencyMs: 80 });
  try {
    // 82 requests one at a time (--plan), 80 ms each: 6.5 s at the least, on any machine
    const run = await runCli(['--target', mock.url, '--concurrency', '1'], cleanEnv(MOCK_ENV));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^… \d+ of \d+ checks done, 5 s$/m);
    expect(run.stdout).not.toContain('checks done');
  } finally {
    await mock.close();
  }
});

// Input checks run in this process (runInProcess): the same code as the command, without a child's
// start-up. One spawned case keeps the process's side: the line on stderr and exit 2.
describe('input that cannot run: one line on stderr, exit 2, no stack trace', () => {
  test('as a process: exit 2, one line on stderr', async () => {
    const run = await runCli(['--timeout', 'soon']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('error: --timeout must be a number of seconds from 0.001 to 600, got "soon"\n');
  });

  const cases: Array<[string, string[], Record<string, string>, RegExp]> = [
    ['a refused port', ['--target', 'http://127.0.0.1:1'], MOCK_ENV, /cannot reach target.*refused/],
    ['an invalid URL', ['--target', 'not a url'], MOCK_ENV, /invalid target URL/],
    ['a non-http URL', ['--target', 'ftp://127.0.0.1/'], MOCK_ENV, /only http and https/],
    ['an unknown flag', ['--frobnicate'], {}, /unknown flag --frobnicate \(see --help\)/],
    ['a bad flag value', ['--timeout', 'soon'], {}, /--timeout must be a number/],
    ['a flag without its value', ['--report-dir'], {}, /--report-dir <value>' argument missing/],
    ['a stray argument', ['mock'], {}, /Unexpected argument 'mock'/],
    ['a concurrency of 0', ['--concurrency', '0'], {}, /--concurrency must be a whole number/],
    ['a fractional concurrency (it would never send)', ['--concurrency', '0.5'], {}, /--concurrency must be a whole number/],
    ['a timeout below a millisecond', ['--timeout', '0.0001'], {}, /--timeout must be a number of seconds from 0.001/],
    ['a key pasted as the target: the error line redacts it', ['--target', 'Basic c2VjcmV0X2tleV9mb3JfcmV2aWV3XzEyMzQ1'], { FFMPEG_API_KEY: 'Basic c2VjcmV0X2tleV9mb3JfcmV2aWV3XzEyMzQ1' }, /invalid target URL "\[REDACTED:FFMPEG_API_KEY\]"/],
    ['a key without the Basic prefix', ['--target', 'http://127.0.0.1:1'], { FFMPEG_API_KEY: 'dGVzdA==' }, /FFMPEG_API_KEY must be the whole header value.*"Basic "/],
    ['a missing key for a URL target', ['--target', 'http://127.0.0.1:1'], {}, /FFMPEG_API_KEY is not set/],
    ['a key over plain http to a remote host', ['--target', 'http://api.example.test'], MOCK_ENV, /refusing to send API keys over plain http/],
  ];
  test.for(cases)('%s', async ([, args, env, message]) => {
    const run = await runInProcess(args, env);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  const write = (dir: string, name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));
  const fileCases: Array<[string, (dir: string) => string[], RegExp]> = [
    ['a spec that does not parse as YAML', (dir) => ['--spec', write(dir, 'bad.yaml', 'openapi: 3.1.0\ninfo: {title: x\n  version: [1\n')], /^error: invalid spec .*bad\.yaml: .*(YAML|comma|flow)/i],
    ['a spec that does not validate', (dir) => ['--spec', write(dir, 'bad.yaml', 'openapi: 3.1.0\ninfo: {}\npaths: []\n')], /^error: invalid spec/],
    ['a spec file that does not exist', (dir) => ['--spec', join(dir, 'missing.yaml')], /^error: cannot read spec/],
    [
      'a valid spec that lacks a clause the suite checks (never a 0-check CONFORMANT)',
      (dir) => ['--spec', write(dir, 'less.yaml', readFileSync(join(ROOT, 'spec/openapi.yaml'), 'utf8').replace(/ {2}- id: cache\.private\n( {4}.*\n)+/, ''))],
      /^error: invalid spec .*cites clause cache\.private/,
    ],
    ['a report directory that cannot be written', (dir) => ['--report-dir', write(dir, 'not-a-dir', '')], /cannot write the report directory/],
    ['a malformed .env line', (dir) => (write(dir, '.env', 'FFMPEG_API_KEY=Basic abc\nthis is not an assignment\n'), []), /\.env:2: not a NAME=value line/],
    ['a malformed line in an explicit --env-file', (dir) => ['--env-file', write(dir, 'ci.env', 'FFMPEG_API_KEY\n')], /ci\.env:1: not a NAME=value line/],
    ['an explicit --env-file that is missing', (dir) => ['--env-file', join(dir, 'missing.env')], /^error: cannot read env file .*missing\.env/],
    ['a key without the Basic prefix in .env', (dir) => (write(dir, '.env', 'FFMPEG_API_KEY=dGVzdA==\n'), ['--target', 'http://127.0.0.1:1']), /FFMPEG_API_KEY must be the whole header value.*"Basic "/],
  ];
  test.for(fileCases)('%s', async ([, setup, message]) => {
    const cwd = tempDir();
    const run = await runInProcess(setup(cwd), {}, cwd);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('no secret anywhere', () => {
  // Distinctive keys whose tokens are pure letters and digits, so a target can even echo one as a header name.
  const PLANTED = { FFMPEG_API_KEY: 'zq10-valid-leakprobe-7c41e9', FFMPEG_API_QUOTA_EXCEEDED_KEY: 'zq10-quota-leakprobe-7c41e9', FFMPEG_API_REVOKED_KEY: 'zq100-revoked-leakprobe-7c41e9' };
  const tokens = Object.values(PLANTED).map((decoded) => Buffer.from(decoded).toString('base64'));
  const clean = (s: string) => s.replace(/[\x00-\x1f\x7f-\xff]/g, '');

  /**
   * A hostile target over a raw socket (so even the malformed probes reach it): it answers 401 and
   * echoes the request back — whole in the body, and the Authorization value in headers as is,
   * upper- and lower-cased, split in two, base64-decoded, in a cookie and as a header name.
   */
  function echoServer(): net.Server {
    const server = net.createServer((socket) => {
      let got = '';
      socket.on('error', () => {});
      socket.on('data', (d) => {
        got += d.toString('latin1');
        const end = got.indexOf('\r\n\r\n');
        const length = Number(/^content-length:\s*(\d+)/im.exec(got)?.[1] ?? 0);
        if (end < 0 || got.length < end + 4 + length) return;
        const value = clean(/^authorization:(.*)$/im.exec(got)?.[1]?.trim() ?? '');
        const token = value.split(/\s+/).pop() ?? '';
        const decoded = Buffer.from(token, 'base64').toString('latin1');
        const half = Math.ceil(value.length / 2);
        const body = JSON.stringify({ ok: false, error: 'Invalid API key', request: got, decoded, upper: value.toUpperCase(), parts: value.match(/.{1,8}/g) ?? [] });
        const headers = [
          `X-Echo: ${value}`,
          `X-Echo-Upper: ${value.toUpperCase()}`,
          `X-Echo-Lower: ${value.toLowerCase()}`,
          `X-Echo-Part-1: ${value.slice(0, half)}`,
          `X-Echo-Part-2: ${value.slice(half)}`,
          `X-Echo-Decoded: ${clean(decoded)}`,
          `Set-Cookie: session=${token}`,
          ...(/^[A-Za-z0-9]+$/.test(token) ? [`X-Echo-${token}: 1`] : []),
        ];
        socket.end(`HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n${headers.join('\r\n')}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      });
    });
    return server;
  }

  test('a planted key never appears in stdout, stderr or any file in the report directory, even from a target that echoes it', async () => {
    for (const t of tokens) expect(t).toMatch(/^[A-Za-z0-9]+$/);
    const echo = echoServer();
    try {
      const url = await listenLocal(echo);
      const keys = Object.fromEntries(Object.entries(PLANTED).map(([name, decoded]) => [name, `Basic ${Buffer.from(decoded).toString('base64')}`]));
      const run = await runCli(['--target', url], cleanEnv(keys));
      expect(run.code, run.stderr).toBe(1);
      expect(run.report().checks.find((c) => c.id === 'security.no-credential-echo')?.verdict).toBe('fail');
      const files = readdirSync(run.dir, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
      expect(files.map((f) => f.name)).toContain('report.json');
      const outputs: Array<[string, string]> = [
        ['stdout', run.stdout],
        ['stderr', run.stderr],
        ...files.map((f): [string, string] => [f.name, readFileSync(join(f.parentPath, f.name), 'latin1')]),
      ];
      // Any 12 consecutive characters of a key, its token or its decoded form, in any letter case;
      // and each 8-character piece of a token, as the target echoed them.
      const needles = [...Object.values(keys), ...tokens, ...Object.values(PLANTED)].flatMap((form) =>
        Array.from({ length: form.length - 11 }, (_, i) => form.slice(i, i + 12).toLowerCase()),
      );
      const pieces = tokens.flatMap((t) => t.match(/.{8}/g) ?? []).map((p) => p.toLowerCase());
      for (const [name, text] of outputs) {
        const lower = text.toLowerCase();
        expect([...needles, ...pieces].filter((n) => lower.includes(n)), name).toEqual([]);
      }
      expect(outputs.map(([, t]) => t).join('')).toContain('[REDACTED:FFMPEG_API_KEY]');
    } finally {
      echo.close();
    }
  });
});
