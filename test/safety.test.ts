// A first run against a real deployment must be safe: --plan sends nothing, the budget and the
// write policy hold, in-flight requests stay bounded, the deadline ends a hanging run with a
// report, network trouble is a verdict, keys never go over plain http or through a redirect.
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createMockServer, DEFAULT_KEYS, startMock, type MockOptions } from '../mock/server.js';
import { cleanEnv, listenLocal, MOCK_ENV, namedTarget, refusingPort, runInProcess, tempDir, TEST_TLS } from './helpers.js';

interface Seen {
  method: string;
  path: string;
  authorization?: string;
}

/** A loopback server that records every request it gets and how many it is answering at once. */
async function recording(handler: http.RequestListener | MockOptions = {}) {
  const server = typeof handler === 'function' ? http.createServer(handler) : (createMockServer(handler) as http.Server);
  const seen: Seen[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  // Requests Node's parser refused (raw-socket probes, one per connection); Node may report one twice.
  const malformed = new Set<net.Socket>();
  server.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    seen.push({ method: req.method!, path: req.url!, authorization: req.headers.authorization });
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    const end = res.end.bind(res) as (...a: unknown[]) => http.ServerResponse;
    // Counted until the answer is handed over: the client cannot have it before.
    res.end = ((...a: unknown[]) => (inFlight--, end(...a))) as typeof res.end;
  });
  server.prependListener('clientError', (_e: Error, socket: net.Socket) => {
    malformed.add(socket);
    // A listener replaces Node's default answer; the mock has its own, a bare handler gets Node's.
    if (typeof handler === 'function') socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  });
  server.on('connection', (s) => s.on('error', () => {}));
  const url = await listenLocal(server);
  return {
    port: Number(new URL(url).port),
    url,
    seen,
    total: () => seen.length + malformed.size,
    maxInFlight: () => maxInFlight,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}
type Recording = Awaited<ReturnType<typeof recording>>;

const totalOf = (stdout: string) => Number(/^Total: (\d+) requests/m.exec(stdout)?.[1]);

describe('--plan', () => {
  let target: Recording;
  beforeAll(async () => void (target = await recording()));
  afterAll(() => target.close());

  test.for([
    ['with', MOCK_ENV],
    ['without', {}],
  ] as const)('lists every request %s a key set, sends none, and never prints a key', async ([, env]) => {
    const run = await runInProcess(['--target', target.url, '--plan'], env);
    expect(run.code, run.stderr).toBe(0);
    expect(target.total()).toBe(0);
    expect(run.stdout).toMatch(/Nothing has been sent/);
    expect(totalOf(run.stdout)).toBeGreaterThan(5);
    // Credentials by variable name only; each listed request names the checks it serves.
    expect(run.stdout).toContain('FFMPEG_API_KEY');
    for (const key of Object.values(DEFAULT_KEYS)) expect(run.stdout).not.toContain(key.slice(6, 20));
    expect(run.stdout).toMatch(/^\s+\d+\s+GET\s+\/directory\s+\(none\)\s+undici\s+auth\.missing\.listDirectories/m);
    expect(run.stdout).toMatch(/cache\.replay\.?/);
  });

  test('for the live API it needs no key and sends nothing', async () => {
    const run = await runInProcess(['--target', 'https://api.ffmpeg-api.com', '--plan']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Plan: what a run against https:\/\/api\.ffmpeg-api\.com \(profile direct\)/);
    expect(run.stdout).toMatch(/Not sent, \d+ request\(s\): FFMPEG_API_KEY is not set/);
    expect(run.stdout).toMatch(/^\s+\d+\s+GET\s+http:\/\/api\.ffmpeg-api\.com\/directory \(a throwaway invalid key\).*transport\.https-only/m);
  });

  test('the requests a run sends are the requests the plan lists, each probe once', async () => {
    const mock = await recording();
    try {
      const plan = await runInProcess(['--target', mock.url, '--plan'], cleanEnv(MOCK_ENV));
      const run = await runInProcess(['--target', mock.url], cleanEnv(MOCK_ENV));
      expect(run.code, run.stdout).toBe(0);
      expect(mock.total()).toBe(totalOf(plan.stdout));
    } finally {
      await mock.close();
    }
  });
});

describe('named targets (targets.json, validated with its schema)', () => {
  test('--target live: the checked-in file gives the URL, profile and key variables', async () => {
    const run = await runInProcess(['--target', 'live', '--plan'], { FFMPEG_API_KEY: DEFAULT_KEYS.valid });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Plan: what a run against https:\/\/api\.ffmpeg-api\.com \(profile direct\)/);
    expect(run.stdout).toMatch(/POST \/directory creates resources; pass --allow-writes/);
  });

  test('a target declares its profile and its own key variables', async () => {
    const args = namedTarget({ url: 'http://127.0.0.1:9', profile: 'key-injecting-proxy', keys: { valid: 'STAGING_BACKEND_KEY' } });
    const run = await runInProcess([...args, '--plan']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/\(profile key-injecting-proxy\)/);
    expect(run.stdout).toMatch(/valid STAGING_BACKEND_KEY \(not set\)/);
    expect(run.stdout).toMatch(/proxy\.key-not-exposed: STAGING_BACKEND_KEY is not set/);
    expect(run.stdout).toMatch(/auth\.missing\.listDirectories: applies to the direct profile/);
  });

  test.for([
    ['an unknown name', () => ['--target', 'staging'], /unknown target "staging": not a URL, "mock", or a name in .*targets\.json \(live\)/],
    ['an entry the schema rejects', () => namedTarget({ url: 'ftp://x', profile: 'sideways' } as never), /invalid targets file .*: \/targets\/under-test\/\S+ must/],
    [
      'a file that is not JSON',
      () => {
        const file = join(tempDir(), 'targets.json');
        writeFileSync(file, '{ targets: ');
        return ['--targets', file, '--target', 'x'];
      },
      /cannot read targets file/,
    ],
  ] as const)('%s: exit 2, one line', async ([, args, message]) => {
    const run = await runInProcess(args());
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(message);
  });
});

describe('budget and writes', () => {
  test('--max-requests N: the target gets N requests, the checks left are not-verified with the reason', async () => {
    const mock = await recording();
    try {
      const run = await runInProcess(['--target', mock.url, '--max-requests', '12'], cleanEnv(MOCK_ENV));
      expect(mock.total()).toBe(12);
      const report = run.report();
      const budgeted = report.checks.filter((c) => c.verdict === 'not-verified' && /--max-requests 12 was reached/.test(c.reason ?? ''));
      expect(budgeted.length).toBeGreaterThan(20);
      expect(report.summary.verdicts.pass).toBeGreaterThan(0);
      expect(report.summary.verdicts.fail).toBe(0);
      expect(report.summary.verdicts.error).toBe(0);
    } finally {
      await mock.close();
    }
  });

  // 0.0.0.0 reaches this host's loopback listener on Linux, but it is not a loopback name: the
  // tool treats it as a remote host (plain http needs --allow-insecure-http, writes --allow-writes).
  test.for([
    ['without --allow-writes', [], 0],
    ['with --allow-writes', ['--allow-writes'], 1],
  ] as const)('a non-loopback target %s: creating requests with the valid key', async ([, flags, expected]) => {
    const mock = await recording();
    try {
      const url = `http://0.0.0.0:${mock.port}`;
      const run = await runInProcess(['--target', url, '--allow-insecure-http', ...flags], cleanEnv(MOCK_ENV));
      const posts = (path: string, auth?: string) => mock.seen.filter((s) => s.method === 'POST' && s.path === path && s.authorization === auth).length;
      expect(posts('/directory', DEFAULT_KEYS.valid)).toBe(expected);
      expect(posts('/directory', undefined)).toBe(1); // negative checks are always sent
      expect(posts('/file', undefined)).toBeGreaterThanOrEqual(1);
      const check = run.report().checks.find((c) => c.id === 'auth.valid.createDirectory')!;
      if (expected) expect(check.verdict).toBe('pass');
      else expect(check).toMatchObject({ verdict: 'not-verified', reason: expect.stringMatching(/creates resources; pass --allow-writes/) });
    } finally {
      await mock.close();
    }
  });
});

describe('safe by default: unsafe methods write', () => {
  /** The plan's request rows for a path: [sent?, credential]. */
  const rowsFor = (stdout: string, path: string) =>
    stdout.split('\n').flatMap((l) => {
      const m = /^\s*(\d+|-)\s+POST\s+(\S+)\s+(.+?)\s{2,}undici/.exec(l);
      return m && m[2] === path ? [`${m[1] === '-' ? 'not sent' : 'sent'} ${m[3]}`] : [];
    });

  test.for([
    ['without --allow-writes', [], ['sent (none)', 'sent (a throwaway invalid key)']],
    ['with --allow-writes', ['--allow-writes'], ['sent (none)', 'sent (a throwaway invalid key)', 'sent FFMPEG_API_KEY']],
  ] as const)('--plan against the live API %s: POST /ffmpeg/process and /ffmpeg/run', async ([, flags, sent]) => {
    const run = await runInProcess(['--target', 'https://api.ffmpeg-api.com', '--plan', ...flags], cleanEnv({ FFMPEG_API_KEY: DEFAULT_KEYS.valid }));
    expect(run.code, run.stderr).toBe(0);
    for (const path of ['/ffmpeg/process', '/ffmpeg/run']) expect(rowsFor(run.stdout, path).filter((r) => r.startsWith('sent')).sort(), path).toEqual([...sent].sort());
  });

  test('a loopback target that declares writes: false gets no valid-key request to a writing operation, even with --allow-writes', async () => {
    const mock = await recording();
    try {
      const run = await runInProcess([...namedTarget({ url: mock.url, capabilities: { writes: false } }), '--allow-writes'], cleanEnv(MOCK_ENV));
      expect([0, 3], run.stdout + run.stderr).toContain(run.code); // conformant, or partial: the writes were not verified
      expect(mock.seen.filter((s) => s.method !== 'GET' && s.authorization === DEFAULT_KEYS.valid)).toEqual([]);
      expect(mock.seen.filter((s) => s.method === 'POST' && s.authorization === undefined).length).toBe(4); // each writing operation's missing-header check always runs
      expect(run.report().checks.find((c) => c.id === 'auth.valid.processTask')).toMatchObject({ verdict: 'not-verified', category: 'writes' });
    } finally {
      await mock.close();
    }
  });
});

describe('the key over the network', () => {
  test('plain http to a non-loopback host: refused (exit 2) unless --allow-insecure-http, and nothing is sent', async () => {
    const mock = await recording();
    try {
      const url = `http://0.0.0.0:${mock.port}`;
      const refused = await runInProcess(['--target', url], cleanEnv(MOCK_ENV));
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/refusing to send API keys over plain http to 0\.0\.0\.0/);
      expect(mock.total()).toBe(0);
      const allowed = await runInProcess(['--target', url, '--allow-insecure-http'], cleanEnv(MOCK_ENV));
      expect(allowed.code, allowed.stderr).toBe(0);
      expect(mock.seen.some((s) => s.authorization === DEFAULT_KEYS.valid)).toBe(true);
    } finally {
      await mock.close();
    }
  });

  test('a redirect to another host is never followed: the key never reaches it', async () => {
    const elsewhere = await recording();
    const redirecting = await recording((req, res) => res.writeHead(307, { location: `${elsewhere.url}${req.url}` }).end());
    try {
      const run = await runInProcess(['--target', redirecting.url], cleanEnv(MOCK_ENV));
      expect(run.code).toBe(1);
      expect(redirecting.seen.some((s) => s.authorization === DEFAULT_KEYS.valid)).toBe(true);
      expect(elsewhere.total()).toBe(0);
      expect(run.report().checks.find((c) => c.id === 'auth.valid.listDirectories')).toMatchObject({ verdict: 'fail', outcome: '307 (not JSON)' });
    } finally {
      await Promise.all([elsewhere.close(), redirecting.close()]);
    }
  });
});

describe('concurrency', () => {
  test.for([1, 3, 8])('--concurrency %i: the target never answers more than that many requests at once', async (n) => {
    const mock = await recording({ latencyMs: 30 });
    try {
      const run = await runInProcess(['--target', mock.url, '--concurrency', String(n)], cleanEnv(MOCK_ENV));
      expect(run.code, run.stdout).toBe(0);
      expect(mock.maxInFlight()).toBeLessThanOrEqual(n);
      // ...and requests do overlap: the bound is used, not a serial run.
      expect(mock.maxInFlight()).toBeGreaterThanOrEqual(Math.min(n, 2));
    } finally {
      await mock.close();
    }
  });
});

describe.concurrent('network trouble is a verdict, never a crash or a hang', () => {
  const servers: Array<{ close(): unknown }> = [];
  afterAll(() => servers.forEach((s) => s.close()));
  async function tcp(onConnection: (s: net.Socket) => void): Promise<string> {
    const server = net.createServer(onConnection);
    servers.push({ close: () => server.close() });
    const sockets = new Set<net.Socket>();
    server.on('connection', (s) => (sockets.add(s), s.on('error', () => {})));
    servers.push({ close: () => sockets.forEach((s) => s.destroy()) });
    return listenLocal(server);
  }

  test('nothing reachable: exit 2 with one clear line', async () => {
    const refusing = await refusingPort();
    servers.push(refusing);
    const closedPort = refusing.url;
    const silent = await tcp(() => {});
    const garbage = await tcp((s) => s.end('SSH-2.0-OpenSSH_9.2\r\n'));
    const tlsMock = await startMock({ tls: TEST_TLS });
    servers.push(tlsMock);
    const cases: Array<[string[], RegExp]> = [
      [['--target', closedPort], /cannot reach target .*connection refused/],
      [['--target', silent, '--timeout', '1'], /cannot reach target .*no complete answer .* in time/],
      [['--target', garbage], /cannot reach target .*did not answer valid HTTP|cannot reach target .*HTTP/],
      [['--target', tlsMock.url], /cannot reach target .*TLS failed.*self-signed.*pass --insecure/],
    ];
    for (const [args, message] of cases) {
      const run = await runInProcess(args, cleanEnv(MOCK_ENV)); // one after another: it sets the environment
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(message);
    }
  });

  // The target answers the preflight (no key) and the documented 400s, and then, for every
  // request with a key: never answers, or drops the connection.
  const keyless = (req: http.IncomingMessage, res: http.ServerResponse) =>
    res.writeHead(400, { 'content-type': 'application/json' }).end('{"ok":false,"error":"Missing Authorization header"}');
  test.for([
    // (all requests at once, so a stalled one costs its timeout once, not once per turn of 8)
    ['never answers, --timeout 1', (req: http.IncomingMessage, res: http.ServerResponse) => (req.headers.authorization ? undefined : keyless(req, res)), ['--timeout', '1', '--concurrency', '64'], /no complete answer .* in time/],
    ['never answers, --deadline 4', (req: http.IncomingMessage, res: http.ServerResponse) => (req.headers.authorization ? undefined : keyless(req, res)), ['--deadline', '4'], /deadline/],
    ['drops the connection', (req: http.IncomingMessage, res: http.ServerResponse) => (req.headers.authorization ? req.socket.destroy() : keyless(req, res)), [], /was reset|closed the connection without answering/],
  ] as const)('a target that %s: error verdicts, the report written, exit 3', async ([, handler, flags, message]) => {
    const target = await recording(handler);
    try {
      const run = await runInProcess(['--target', target.url, ...flags], cleanEnv(MOCK_ENV));
      expect(run.code, run.stdout + run.stderr).toBe(3);
      const report = run.report();
      const errors = report.checks.filter((c) => c.verdict === 'error');
      expect(errors.length).toBeGreaterThan(10);
      for (const c of errors) expect(c.message, c.id).toMatch(message);
      expect(report.summary.verdicts.fail).toBe(0);
    } finally {
      await target.close();
    }
  });
});
