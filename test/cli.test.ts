// The `conformance` command as a user meets it: defaults, bad input, exit codes, no leaked key.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { cleanEnv, MOCK_ENV, runCli, tempDir } from './helpers.js';

describe('the default run', () => {
  test('checks the bundled mock offline, exits 0 and writes report.json', async () => {
    const run = await runCli([]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/CONFORMANT/);
    const report = run.report();
    expect(report.target.bundledMock).toBe(true);
    expect(report.summary.total).toBeGreaterThanOrEqual(60);
    expect(report.spec.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(report.checks.every((c) => c.id && c.clause && c.level && c.quote && c.source)).toBe(true);
  });

  test('--help lists the options and exits 0', async () => {
    const run = await runCli(['--help']);
    expect(run.code).toBe(0);
    for (const flag of ['--target', '--report-dir', '--strict', 'Exit codes']) expect(run.stdout).toContain(flag);
  });
});

describe('input that cannot run: one line on stderr, exit 2, no stack trace', () => {
  const cases: Array<[string, string[], Record<string, string>, RegExp]> = [
    ['a refused port', ['--target', 'http://127.0.0.1:1'], MOCK_ENV, /cannot reach target.*refused/],
    ['an invalid URL', ['--target', 'not a url'], MOCK_ENV, /invalid target URL/],
    ['a non-http URL', ['--target', 'ftp://127.0.0.1/'], MOCK_ENV, /only http and https/],
    ['an unknown flag', ['--frobnicate'], {}, /Unknown option '--frobnicate'/],
    ['a bad flag value', ['--timeout', 'soon'], {}, /--timeout must be a number/],
    ['a key without the Basic prefix', ['--target', 'http://127.0.0.1:1'], { FFMPEG_API_KEY: 'dGVzdA==' }, /FFMPEG_API_KEY must be the whole header value.*"Basic "/],
    ['a missing key for a URL target', ['--target', 'http://127.0.0.1:1'], {}, /FFMPEG_API_KEY is not set/],
    ['a key over plain http to a remote host', ['--target', 'http://api.example.test'], MOCK_ENV, /refusing to send API keys over plain http/],
  ];
  test.for(cases)('%s', async ([, args, env, message]) => {
    const run = await runCli(args, cleanEnv(env));
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  test('a spec that does not validate', async () => {
    const bad = join(tempDir(), 'bad.yaml');
    writeFileSync(bad, 'openapi: 3.1.0\ninfo: {}\npaths: []\n');
    const again = await runCli(['--spec', bad]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^error: invalid spec/);
  });

  test('a report directory that cannot be written', async () => {
    const file = join(tempDir(), 'not-a-dir');
    writeFileSync(file, '');
    const run = await runCli(['--report-dir', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/cannot write the report directory/);
  });

  test('a malformed .env line', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, '.env'), 'FFMPEG_API_KEY=Basic abc\nthis is not an assignment\n');
    const run = await runCli([], cleanEnv(), { cwd });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/\.env:2: not a NAME=value line/);
  });
});

test('a planted key never appears in stdout, stderr or any report file, even from a target that echoes it', async () => {
  const decoded = 'planted-key-9f3b2a71c6e04d58';
  const token = Buffer.from(decoded).toString('base64');
  // A hostile target: reflects every header, the URL and the body back in its answer and headers.
  const echo = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d)).on('end', () => {
      const reflected = JSON.stringify({ ok: false, error: 'Invalid API key', url: req.url, headers: req.headers, body });
      res.writeHead(401, { 'content-type': 'application/json', 'x-echo': String(req.headers.authorization ?? '') }).end(reflected);
    });
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
    const run = await runCli(['--target', url], cleanEnv({ FFMPEG_API_KEY: `Basic ${token}` }));
    expect(run.code).toBe(1);
    expect(run.report().checks.find((c) => c.id === 'security.no-credential-echo')?.verdict).toBe('fail');
    const outputs = [run.stdout, run.stderr, ...readdirSync(run.dir).map((f) => readFileSync(join(run.dir, f), 'utf8'))];
    for (const text of outputs) {
      for (const needle of [token, token.slice(0, 10), token.slice(-10), decoded, token.toLowerCase()]) expect(text).not.toContain(needle);
    }
    expect(outputs.join('')).toContain('[REDACTED:FFMPEG_API_KEY]');
  } finally {
    echo.close();
  }
});
