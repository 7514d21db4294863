// Honest verdicts: the headline says no more than the evidence. Coverage is part of the verdict,
// a rejected key is not a broken target, throttling is waited out and never judged, and inputs
// that cannot give an honest run are refused.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createMockServer, DEFAULT_KEYS, startMock, type RunningMock } from '../mock/server.js';
import { loadContract } from '../core/spec.js';
import { buildCatalog } from '../suites/catalog.js';
import { cleanEnv, failing, listenLocal, MOCK_ENV, runInProcess, withoutProgress } from './helpers.js';

/** A loopback front for the reference mock: `gate` may answer a request itself (429, say) instead of the mock. */
async function front(gate: (req: http.IncomingMessage, res: http.ServerResponse) => boolean) {
  const mock = createMockServer();
  const [api] = mock.listeners('request') as http.RequestListener[];
  const [clientError] = mock.listeners('clientError') as Array<(...a: unknown[]) => void>;
  const server = http.createServer((req, res) => (gate(req, res) ? undefined : api!(req, res)));
  server.on('clientError', clientError!);
  return {
    url: await listenLocal(server),
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

/** A token bucket: `size` requests at once, then `perSecond`; beyond that 429 (with Retry-After, if given). */
function bucket(size: number, perSecond: number, retryAfter?: string) {
  let tokens = size;
  let last = Date.now();
  return (_req: http.IncomingMessage, res: http.ServerResponse) => {
    tokens = Math.min(size, tokens + ((Date.now() - last) / 1000) * perSecond);
    last = Date.now();
    if (tokens >= 1) {
      tokens--;
      return false;
    }
    res.writeHead(429, { 'content-type': 'application/json', ...(retryAfter && { 'retry-after': retryAfter }) }).end('{"ok":false,"error":"Too many requests"}');
    return true;
  };
}

describe.concurrent('coverage is part of the verdict', () => {
  let mock: RunningMock;
  beforeAll(async () => void (mock = await startMock()));
  afterAll(() => mock.close());

  test('--max-requests 5: not a bare CONFORMANT, inconclusive (exit 3), the budget named', async () => {
    const run = await runInProcess(['--max-requests', '5'], cleanEnv());
    expect(run.code, run.stdout).toBe(3);
    expect(run.stdout).not.toMatch(/^CONFORMANT/m);
    expect(run.stdout).toMatch(/^ {2}MUST {5}\d+ pass of \d+ — \d+ not verified; \d+ not applicable$/m);
    expect(run.stdout).toMatch(/^INCONCLUSIVE \(the request budget \(--max-requests\) ran out/m);
    expect(run.report().summary.verdict).toBe('inconclusive');
  });

  test('no quota-exhausted key against a faithful server: CONFORMANT (partial), exit 0, naming the variable', async () => {
    const env = Object.fromEntries(Object.entries(MOCK_ENV).filter(([k]) => k !== 'FFMPEG_API_QUOTA_EXCEEDED_KEY'));
    const run = await runInProcess(['--target', mock.url], cleanEnv(env));
    expect(run.code, run.stdout).toBe(0);
    const quota = buildCatalog(await loadContract()).filter((c) => c.id.startsWith('auth.quota.')).length; // one per operation
    expect(run.stdout.split('\n')).toContainEqual(expect.stringMatching(new RegExp(`^CONFORMANT \\(partial\\): no MUST failure, but not every MUST check was verified — not verified: quota \\(${quota}\\)`)));
    expect(run.stdout).toContain(`not verified: quota, ${quota} checks — to verify: FFMPEG_API_QUOTA_EXCEEDED_KEY`);
    const report = run.report();
    expect(report.summary).toMatchObject({ verdict: 'partial', gaps: [{ category: 'quota', remedy: 'FFMPEG_API_QUOTA_EXCEEDED_KEY' }] });
    const strictComplete = await runInProcess(['--target', mock.url, '--require-complete'], cleanEnv(env));
    expect(strictComplete.code).toBe(3);
  });

  test('every applicable check verified: a plain CONFORMANT; checks of another profile do not count against it', async () => {
    const run = await runInProcess(['--target', mock.url], cleanEnv(MOCK_ENV));
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^CONFORMANT \(every applicable MUST check verified, none failed\)/m);
    const report = run.report();
    expect(report.summary.coverage.MUST.applicable).toBe(report.summary.coverage.MUST.verified);
    expect(report.checks.filter((c) => c.cause === 'inapplicable').map((c) => c.group)).toEqual(expect.arrayContaining(['proxy', 'transport']));
  });
});

describe('the key is checked before the target is judged', () => {
  test('a faithful server that has another valid key: exit 3, one line naming FFMPEG_API_KEY, no failure', async () => {
    const other = 'Basic b3RoZXJfdmFsaWRfa2V5XzEyMzQ1Njc4OTA=';
    const mock = await startMock({ keys: { valid: other } });
    try {
      const run = await runInProcess(['--target', mock.url], cleanEnv(MOCK_ENV));
      expect(run.code, run.stdout).toBe(3);
      const lines = withoutProgress(run.stderr).split('\n').filter(Boolean);
      expect(lines).toEqual([expect.stringMatching(/^warning: the target refused FFMPEG_API_KEY \(GET \/directory answered 401\): check if you regenerated your key/)]);
      const report = run.report();
      expect(failing(report)).toEqual([]);
      expect(report.checks.find((c) => c.id === 'auth.valid.listDirectories')).toMatchObject({ verdict: 'not-verified', cause: 'key-rejected' });
      // The checks that need no accepted key still ran.
      expect(report.checks.find((c) => c.id === 'auth.missing.listDirectories')?.verdict).toBe('pass');
      expect(run.stdout).toMatch(/^INCONCLUSIVE \(the target refused the valid key\)/m);
    } finally {
      await mock.close();
    }
  });
});

describe.concurrent('throttling is waited out, not judged', () => {
  test.for([
    ['a token bucket with Retry-After', '1'],
    ['a token bucket without Retry-After', undefined],
  ] as const)('%s: every check judged, exit 0, the time spent waiting reported', async ([, retryAfter]) => {
    const target = await front(bucket(10, 20, retryAfter));
    try {
      const run = await runInProcess(['--target', target.url], cleanEnv(MOCK_ENV));
      expect(run.code, run.stdout).toBe(0);
      const report = run.report();
      expect(report.summary.verdicts.error + report.summary.verdicts.fail).toBe(0);
      expect(report.throttle?.answers).toBeGreaterThan(0);
      expect(run.stdout).toMatch(/throttled: \d+ answers? 429\/503 waited out, [\d.]+ s spent waiting/);
    } finally {
      await target.close();
    }
  });

  test('429 forever: ends inside the deadline, inconclusive (exit 3), never a failure', async () => {
    const target = await front((_req, res) => (res.writeHead(429).end(), true));
    try {
      // Ended on its own (inside the test's timeout), the deadline named.
      const run = await runInProcess(['--target', target.url, '--deadline', '4'], cleanEnv(MOCK_ENV));
      expect(run.code, run.stdout).toBe(3);
      const report = run.report();
      expect(report.summary.verdicts.fail).toBe(0);
      expect(report.checks.filter((c) => c.verdict === 'error').every((c) => /throttled \(429\)|deadline/.test(c.message ?? ''))).toBe(true);
      expect(run.stdout).toMatch(/^INCONCLUSIVE \(.*the target throttled the run/m);
    } finally {
      await target.close();
    }
  });
});

test('a faithful idiomatic server (no Cache-Control, a charset, extra headers) passes --strict', async () => {
  const mock = await startMock();
  const upstream = new URL(mock.url);
  // An Express-like front: the mock's answers with its own headers only, as frameworks send them.
  const server = http.createServer((req, res) => {
    const out = http.request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c)).on('end', () =>
        res.writeHead(r.statusCode!, { 'content-type': 'application/json; charset=utf-8', 'x-powered-by': 'Express', etag: 'W/"1"' }).end(Buffer.concat(chunks)),
      );
    });
    req.pipe(out);
  });
  server.on('clientError', (_e, socket) => socket.end('HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: 36\r\nConnection: close\r\n\r\n{"ok":false,"error":"Bad request"}\r\n'));
  const url = await listenLocal(server);
  try {
    const run = await runInProcess(['--target', url, '--strict'], cleanEnv(MOCK_ENV));
    expect(run.code, run.stdout).toBe(0);
    expect(run.report().checks.find((c) => c.id === 'cache.private')).toMatchObject({ verdict: 'observed', outcome: 'Cache-Control (none); Vary (none)' });
  } finally {
    server.closeAllConnections();
    server.close();
    await mock.close();
  }
});

// In this process, one after another (runInProcess sets the environment while it runs).
describe('inputs that cannot give an honest run are refused: exit 2, one line', () => {
  test.for([
    ['a key with a trailing CR (a CRLF .env file)', { FFMPEG_API_KEY: `${DEFAULT_KEYS.valid}\r` }, [], /FFMPEG_API_KEY holds a control character/],
    ['a key whose token is too short to redact', { FFMPEG_API_KEY: 'Basic a' }, [], /FFMPEG_API_KEY has a token shorter than 8 characters/],
    ['a key outside Latin-1', { FFMPEG_API_KEY: 'Basic dGVzdF91c2VyX2tleV9€' }, [], /outside Latin-1/],
    ['--target given twice', MOCK_ENV, ['--target', 'http://127.0.0.1:9', '--target', 'http://127.0.0.1:10'], /--target was given more than once/],
  ] as const)('%s', async ([, env, args, message]) => {
    const run = await runInProcess([...args], env);
    expect(run.code).toBe(2);
    const lines = withoutProgress(run.stderr).split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(run.stderr).not.toContain('dGVzdF91c2VyX2tleV9');
  });
});

test('a --baseline from another target: one warning line, and the run still compares', async () => {
  const mock = await startMock();
  try {
    const first = await runInProcess(['--target', mock.url, '--only', 'auth.missing.*'], cleanEnv(MOCK_ENV));
    const run = await runInProcess(['--only', 'auth.missing.*', '--baseline', `${first.dir}/report.json`], cleanEnv(MOCK_ENV));
    expect(run.code).toBe(0);
    expect(withoutProgress(run.stderr).trim()).toMatch(new RegExp(`^warning: the baseline .*report\\.json is of target ${mock.url.replace(/\./g, '\\.')}, not mock: its drift compares unlike runs$`));
  } finally {
    await mock.close();
  }
});
