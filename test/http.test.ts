// The send path against real loopback servers: in-flight requests bounded, retries only when no
// answer came, a bounded Retry-After honoured, and a configured key never over plain http to a
// host outside loopback.
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { closeAgents, HarnessError, isLoopback, retryAfterMs, send, type HttpOptions, type HttpResponse } from '../src/http.js';
import { addSecret, clearSecrets } from '../src/secrets.js';

const OPTS: HttpOptions = { timeoutMs: 5_000, maxBodyBytes: 65_536, insecure: false, concurrency: 8 };
const servers: Array<http.Server | net.Server> = [];
afterEach(async () => {
  await closeAgents();
  for (const s of servers.splice(0)) {
    if (s instanceof http.Server) s.closeAllConnections();
    s.close();
  }
  clearSecrets();
});

/** A loopback server; `answer(n, req, res)` gets the request's 1-based number. */
async function server(answer: (n: number, req: http.IncomingMessage, res: http.ServerResponse) => void) {
  let n = 0;
  const s = http.createServer((req, res) => answer(++n, req, res));
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { port: (s.address() as AddressInfo).port, count: () => n };
}
const get = (port: number, extra: Partial<Parameters<typeof send>[0]> = {}, host = '127.0.0.1') =>
  send({ method: 'GET', url: new URL(`http://${host}:${port}/directory`), headers: [], ...extra }, OPTS);
const ok = (res: http.ServerResponse, headers: http.OutgoingHttpHeaders = {}) => res.writeHead(200, { 'content-type': 'application/json', ...headers }).end('{"ok":true}');

describe('concurrency', () => {
  test.for([1, 3])('at most %i requests are in flight, however many are sent at once', async (limit) => {
    let inFlight = 0;
    let max = 0;
    const { port } = await server((_n, _req, res) => {
      max = Math.max(max, ++inFlight);
      setTimeout(() => (inFlight--, ok(res)), 20);
    });
    const answers = await Promise.all(Array.from({ length: 12 }, () => send({ method: 'GET', url: new URL(`http://127.0.0.1:${port}/`), headers: [] }, { ...OPTS, concurrency: limit })));
    expect(answers.map((a) => a.status)).toEqual(Array(12).fill(200));
    expect(max).toBe(limit);
  });
});

describe('retries: only when no answer came', () => {
  test('a GET whose connection is reset before any answer is sent again, and succeeds', async () => {
    const { port, count } = await server((n, req, res) => (n === 1 ? req.socket.destroy() : ok(res)));
    expect((await get(port)).status).toBe(200);
    expect(count()).toBe(2);
  });

  test('a POST whose connection is reset is not sent again (it may have been done)', async () => {
    const { port, count } = await server((_n, req) => req.socket.destroy());
    await expect(send({ method: 'POST', url: new URL(`http://127.0.0.1:${port}/file`), headers: [], body: '{}' }, OPTS)).rejects.toMatchObject({ kind: 'reset' });
    expect(count()).toBe(1);
  });

  test('a refused connection is tried again, with backoff', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    // Nothing listens for the first attempt (at once); the port opens during the first backoff (250 ms).
    const pending = get(port);
    const late = http.createServer((_req, res) => ok(res));
    servers.push(late);
    setTimeout(() => late.listen(port, '127.0.0.1'), 100);
    expect((await pending).status).toBe(200);
  });

  test.for([
    ['500', 500, {}],
    ['429 without Retry-After', 429, {}],
    ['503 with a Retry-After beyond the bound', 503, { 'retry-after': '3600' }],
  ] as const)('an HTTP answer is never retried: %s', async ([, status, headers]) => {
    const { port, count } = await server((_n, _req, res) => res.writeHead(status, headers).end());
    expect((await get(port)).status).toBe(status);
    expect(count()).toBe(1);
  });

  test('429 with a short Retry-After: every request waits, then it is asked once more', async () => {
    const { port, count } = await server((n, _req, res) => (n === 1 ? res.writeHead(429, { 'retry-after': '1' }).end() : ok(res)));
    expect((await get(port)).status).toBe(200);
    expect(count()).toBe(2);
  });

  test('Retry-After as seconds or an HTTP-date, only on 429 and 503', () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    const r = (status: number, v: string): Pick<HttpResponse, 'status' | 'headers'> => ({ status, headers: { 'retry-after': v } });
    expect(retryAfterMs(r(429, '2'), now)).toBe(2000);
    expect(retryAfterMs(r(503, 'Tue, 01 Jan 2030 00:00:05 GMT'), now)).toBe(5000);
    expect(retryAfterMs(r(500, '2'), now)).toBeUndefined();
    expect(retryAfterMs(r(429, 'soon'), now)).toBeUndefined();
  });
});

describe('deadline', () => {
  test('a request that would start after the deadline is not sent', async () => {
    const { port, count } = await server((_n, _req, res) => ok(res));
    await expect(send({ method: 'GET', url: new URL(`http://127.0.0.1:${port}/`), headers: [] }, { ...OPTS, deadlineAt: Date.now() - 1 })).rejects.toMatchObject({ kind: 'deadline' });
    expect(count()).toBe(0);
  });

  test('a request in flight at the deadline ends there, as a deadline error', async () => {
    const { port } = await server(() => {}); // never answers
    const err = await send({ method: 'GET', url: new URL(`http://127.0.0.1:${port}/`), headers: [] }, { ...OPTS, deadlineAt: Date.now() + 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HarnessError);
    expect(err).toMatchObject({ kind: 'deadline' });
  });
});

describe('the key and plain http', () => {
  const KEY = `Basic ${Buffer.from('plain-http-guard-key-7e1d').toString('base64')}`;

  test('0.0.0.0 and other hosts are not loopback; 127.x, ::1 and localhost are', () => {
    expect(['127.0.0.1', '127.8.9.1', '[::1]', 'localhost'].every(isLoopback)).toBe(true);
    // api.localhost is resolved by DNS here (getaddrinfo), so it could be anywhere
    expect(['0.0.0.0', '10.0.0.1', 'api.ffmpeg-api.com', '::ffff:127.0.0.1', 'api.localhost'].some(isLoopback)).toBe(false);
  });

  // 0.0.0.0 reaches this host's listener on Linux, but is not a loopback name.
  test.for([
    ['in the Authorization header', { headers: [['Authorization', KEY]] as Array<[string, string]> }],
    ['in the query', { query: `?api_key=${KEY.slice(6)}` }],
    ['in the body', { body: JSON.stringify({ Authorization: KEY }) }],
  ] as const)('a configured key %s is refused to a non-loopback http host, and nothing is sent', async ([, where]) => {
    addSecret('FFMPEG_API_KEY', KEY);
    const { port, count } = await server((_n, _req, res) => ok(res));
    const url = new URL(`http://0.0.0.0:${port}/directory${'query' in where ? where.query : ''}`);
    const req = { method: 'POST', url, headers: 'headers' in where ? where.headers : [], ...('body' in where && { body: where.body }) };
    await expect(send(req, OPTS)).rejects.toMatchObject({ kind: 'insecure', message: expect.stringMatching(/refusing to send a configured key over plain http to 0\.0\.0\.0/) });
    expect(count()).toBe(0);
    expect((await send(req, { ...OPTS, allowInsecureHttp: true })).status).toBe(200);
    expect(count()).toBe(1);
  });

  test('a request without a configured key may go over plain http anywhere', async () => {
    addSecret('FFMPEG_API_KEY', KEY);
    const { port } = await server((_n, _req, res) => ok(res));
    expect((await get(port, { headers: [['Authorization', 'Basic Y29uZm9ybWFuY2Vfd3Jvbmdfa2V5']] }, '0.0.0.0')).status).toBe(200);
  });
});
