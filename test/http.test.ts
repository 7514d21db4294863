// The send path against real loopback servers: in-flight requests bounded, retries only when no
// answer came, a bounded Retry-After honoured, and a configured key never over plain http to a
// host outside loopback.
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { afterEach, describe, expect, test } from 'vitest';
import { HarnessError, isLoopback } from '../core/http/errors.js';
import { parseResponse } from '../core/http/raw.js';
import { retryAfterMs, send, THROTTLE_TRIES, Transport, type HttpOptions } from '../core/http/transport.js';
import type { HttpResponse } from '../core/http/types.js';
import { addSecret, clearSecrets } from '../core/secrets.js';
import { refusingPort } from './helpers.js';

const OPTS: HttpOptions = { timeoutMs: 5_000, maxBodyBytes: 65_536, insecure: false, concurrency: 8 };
const servers: Array<http.Server | net.Server> = [];
/** The transports a test made: each closed after it, as a run closes its own. */
const transports: Transport[] = [];
const opened = (t: Transport): Transport => (transports.push(t), t);
afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close()));
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
    const transport = opened(new Transport({ ...OPTS, concurrency: limit }));
    const answers = await Promise.all(Array.from({ length: 12 }, () => transport.send({ method: 'GET', url: new URL(`http://127.0.0.1:${port}/`), headers: [] })));
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
    const refusing = await refusingPort();
    // Nothing listens for the first attempt (at once); the port opens during the first backoff (250 ms).
    const pending = get(Number(new URL(refusing.url).port));
    const late = http.createServer((_req, res) => ok(res));
    servers.push(late);
    const opened = new Promise<void>((resolve, reject) => setTimeout(() => refusing.open(late).then(resolve, reject), 100));
    const answer = await pending.catch((e: unknown) => e);
    await opened;
    expect(answer).toMatchObject({ status: 200 });
  });

  test('an HTTP answer is never retried: a 500 is the answer', async () => {
    const { port, count } = await server((_n, _req, res) => res.writeHead(500).end());
    expect((await get(port)).status).toBe(500);
    expect(count()).toBe(1);
  });
});

describe('throttling (429, 503) is waited out, never taken as the answer', () => {
  const FAST = { ...OPTS, throttleBackoffMs: 10 };
  test.for([
    ['429 without Retry-After', 429, {}],
    ['503 with Retry-After: 0', 503, { 'retry-after': '0' }],
  ] as const)('%s twice, then 200: the request is asked again and gets its answer', async ([, status, headers]) => {
    const { port, count } = await server((n, _req, res) => (n <= 2 ? res.writeHead(status, headers).end() : ok(res)));
    const transport = opened(new Transport(FAST));
    expect((await transport.send({ method: 'GET', url: new URL(`http://127.0.0.1:${port}/`), headers: [] })).status).toBe(200);
    expect(count()).toBe(3);
    expect(transport.stats.answers).toBe(2);
  });

  test('429 forever: after a bounded number of tries, a harness error that says throttled', async () => {
    const { port, count } = await server((_n, _req, res) => res.writeHead(429).end());
    const transport = opened(new Transport(FAST));
    await expect(transport.send({ method: 'GET', url: new URL(`http://127.0.0.1:${port}/`), headers: [] })).rejects.toMatchObject({ kind: 'throttled', message: expect.stringMatching(/^throttled \(429\): still refused after 10 tries/) });
    expect(count()).toBe(THROTTLE_TRIES);
  });

  test('a Retry-After holds every request not yet sent, the queued ones included, and halves the concurrency', async () => {
    const arrivals: number[] = [];
    let pausedAt = 0;
    const { port } = await server((n, _req, res) => {
      arrivals.push(Date.now());
      if (n === 2) {
        pausedAt = Date.now();
        res.writeHead(429, { 'retry-after': '1' }).end();
      } else setTimeout(() => ok(res), 5);
    });
    const transport = opened(new Transport({ ...OPTS, concurrency: 4 }));
    const all = await Promise.all(Array.from({ length: 30 }, () => transport.send({ method: 'GET', url: new URL(`http://127.0.0.1:${port}/`), headers: [] })));
    expect(all.every((r) => r.status === 200)).toBe(true);
    // Those already on the wire when the 429 was sent arrive at once; nothing else inside the second.
    const during = arrivals.filter((t) => t > pausedAt + 100 && t < pausedAt + 900);
    expect(during).toEqual([]);
    expect(transport.stats).toMatchObject({ answers: 1, concurrency: 2 });
    expect(transport.stats.waitedMs).toBeGreaterThanOrEqual(900);
  });

  test('a token bucket (5 at once, then 20 a second) lets every request through, slower', async () => {
    let tokens = 5;
    const refill = setInterval(() => (tokens = Math.min(5, tokens + 1)), 50);
    try {
      const { port } = await server((_n, _req, res) => (tokens-- > 0 ? ok(res) : (tokens = 0, res.writeHead(429).end())));
      const transport = opened(new Transport({ ...OPTS, throttleBackoffMs: 50, deadlineAt: Date.now() + 40_000 }));
      const all = await Promise.all(Array.from({ length: 40 }, () => transport.send({ method: 'GET', url: new URL(`http://127.0.0.1:${port}/`), headers: [] })));
      expect(all.map((r) => r.status)).toEqual(Array(40).fill(200));
      expect(transport.stats.answers).toBeGreaterThan(0);
    } finally {
      clearInterval(refill);
    }
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

describe('parseResponse: strict, and every loop moves forward', () => {
  const parse = (text: string, state: 'more' | 'ended' | 'capped' = 'ended') => parseResponse(Buffer.from(text, 'latin1'), 1024, state);
  const chunked = (sizes: string) => `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${sizes}`;

  test.for(['-6', '+6', '0x6', ' 6', '6 6', '', '123456789'])('refuses the chunk size %j', (size) => {
    expect(() => parse(chunked(`${size}\r\nabcdef\r\n0\r\n\r\n`))).toThrow(/chunk size .* is not hexadecimal digits/);
  });

  test('reads hex chunk sizes, with extensions, and refuses a chunk not followed by CRLF', () => {
    expect(parse(chunked('6;name=x\r\nabcdef\r\nA\r\n0123456789\r\n0\r\n\r\n'))?.body).toBe('abcdef0123456789');
    expect(() => parse(chunked('2\r\nabcdef\r\n0\r\n\r\n'))).toThrow(/not followed by CRLF/);
    expect(() => parse(chunked(`${'1'.repeat(2000)}`), 'more')).toThrow(/chunk-size line .* longer than/);
  });

  test('skips interim 1xx answers and takes the final one', () => {
    const r = parse('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\nHTTP/1.1 401 Unauthorized\r\nContent-Length: 2\r\n\r\n{}');
    expect(r).toMatchObject({ status: 401, body: '{}' });
    expect(r?.headers.link).toBeUndefined();
    expect(parse('HTTP/1.1 103 Early Hints\r\n\r\n', 'more')).toBeUndefined();
  });

  test.for(['HTTP/1.1 000 OK', 'HTTP/1.1 600 Nope', 'HTTP/1.1 20 OK', 'HTTP/1.1 2000 OK', 'HTTP/1.1 099'])('refuses the status line %j in one line', (line) => {
    expect(() => parse(`${line}\r\nContent-Length: 0\r\n\r\n`)).toThrow(/^not a valid HTTP status line [^\n]*$/);
  });

  test('bounds the header section, interim answers included, and Content-Length is one whole number', () => {
    const interim = 'HTTP/1.1 103 Early Hints\r\n\r\n'.repeat(3000);
    expect(() => parse(interim, 'more')).toThrow(/header section exceeds/);
    expect(() => parse(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(70_000)}`, 'more')).toThrow(/header section exceeds/);
    expect(() => parse('HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n')).toThrow(/Content-Length/);
    expect(() => parse('HTTP/1.1 200 OK\r\nContent-Length: 2, 3\r\n\r\nab')).toThrow(/Content-Length/);
  });

  test('a reader that stopped at its cap keeps what was decoded, as truncated', () => {
    expect(parse(chunked('3\r\nabc\r\n'), 'capped')).toMatchObject({ body: 'abc', truncated: true });
  });
});

describe('Content-Encoding: undone within the read cap', () => {
  test('a gzip bomb (50 MB of zeros) is read as far as the cap, truncated, on both transports', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(50 * 1024 * 1024));
    const { port } = await server((_n, _req, res) => res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(bomb));
    for (const raw of [false, true]) {
      const r = await get(port, { raw });
      expect(r.truncated, `raw: ${raw}`).toBe(true);
      expect(r.body.length).toBe(OPTS.maxBodyBytes);
      expect(r.undecoded).toBeUndefined();
    }
  });

  test('gzip, deflate and br bodies are read decoded; an unknown coding is said to be unread', async () => {
    const text = '{"ok":true,"directories":[]}';
    const packs: Record<string, Buffer> = { gzip: zlib.gzipSync(text), deflate: zlib.deflateSync(text), br: zlib.brotliCompressSync(text), zstd: Buffer.from('????') };
    const { port } = await server((_n, req, res) => {
      const coding = String(req.headers['x-coding']);
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': coding }).end(packs[coding]);
    });
    for (const coding of ['gzip', 'deflate', 'br']) expect((await get(port, { headers: [['x-coding', coding]] })).body, coding).toBe(text);
    expect((await get(port, { headers: [['x-coding', 'zstd']] })).undecoded).toMatch(/zstd is not one the suite decodes/);
  });
});
