// The reference mock under abuse: thousands of seeded random malformed requests over raw sockets,
// then a load test. The standalone mock (npm run mock) must not crash, never answer 5xx, and keep
// answering correct requests. A failure prints the seed; FUZZ_SEED=<seed> replays it.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { DEFAULT_KEYS } from '../mock/server.js';
import { cleanEnv, ROOT, tempDir } from './helpers.js';

/** CI replays one fixed sequence (a red build is then the code's, not the draw's); a developer's run draws a new one and says which. */
const CI_SEED = 20261129;
const SEED = Number(process.env.FUZZ_SEED ?? (process.env.CI ? CI_SEED : Math.floor(Math.random() * 2 ** 31)));
const COUNT = 3000;
const CONCURRENCY = 20;
const REPLAY = `seed ${SEED} (replay: FUZZ_SEED=${SEED} npx vitest run test/mock-abuse.test.ts)`;
if (!process.env.CI && !process.env.FUZZ_SEED) console.log(`mock-abuse: ${REPLAY}`);

/** mulberry32: a small seeded PRNG, so a failing sequence can be replayed exactly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let mock: ChildProcess;
let port = 0;
let mockStderr = '';

beforeAll(async () => {
  mock = spawn(process.execPath, ['--', join(ROOT, 'dist/mock/main.js'), '--port', '0'], {
    cwd: tempDir(),
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  mock.stderr!.on('data', (d) => (mockStderr += d));
  let stdout = '';
  port = await new Promise<number>((resolve, reject) => {
    mock.stdout!.on('data', (d) => {
      stdout += d;
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stdout);
      if (m) resolve(Number(m[1]));
    });
    mock.once('exit', (code) => reject(new Error(`the mock exited (${code}) before listening: ${mockStderr}`)));
  });
});
afterAll(() => {
  mock.kill('SIGTERM');
});

interface Outcome {
  statuses: number[];
  /** bytes that are not an HTTP answer */
  garbage: boolean;
  /** neither answered nor closed within the bound */
  hung: boolean;
}

/** Sends bytes over a raw socket (in pieces, for a slow client), half-closes, and reads until the mock closes. */
function exchange(parts: Buffer[], gapMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const got: Buffer[] = [];
    let done = false;
    const finish = (hung: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(got).toString('latin1');
      const statuses = [...text.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));
      resolve({ statuses, garbage: text.length > 0 && !text.startsWith('HTTP/1.'), hung });
    };
    const timer = setTimeout(() => finish(true), 10_000);
    socket.on('data', (d) => got.push(d));
    socket.on('close', () => finish(false));
    socket.on('error', () => finish(false)); // a reset after the mock refused the request is fine
    socket.on('connect', async () => {
      for (const [i, part] of parts.entries()) {
        if (i > 0) await sleep(gapMs);
        if (socket.destroyed) return;
        socket.write(part);
      }
      socket.end();
    });
  });
}

const GOOD = (auth?: string) => Buffer.from(`GET /directory HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth ? `Authorization: ${auth}\r\n` : ''}Connection: close\r\n\r\n`);

/** One random malformed request, built from the seeded PRNG. */
function malformed(rand: () => number): { bytes: Buffer; kind: string } {
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const text = (n: number) => bytes(n).toString('latin1');
  const length = () => pick([0, 1, 7, 64, 1024, 8 * 1024, 15 * 1024, 17 * 1024, 70 * 1024]);
  const line = (name: string, value: string) => `${name}: ${value}\r\n`;
  const head = `${pick(['GET', 'POST', 'PUT', 'DELETE', 'get', 'OPTIONS', 'HEAD'])} ${pick(['/directory', '/file', '/directory/x', '/', '/%zz', '/directory?api_key=x'])} HTTP/1.1\r\nHost: 127.0.0.1\r\n`;
  const kinds: Record<string, () => string> = {
    'random bytes in a header name': () => `${head}${text(1 + int(20))}: x\r\n\r\n`,
    'random bytes in the Authorization value': () => `${head}${line('Authorization', `Basic ${text(int(80))}`)}\r\n`,
    'random bytes in another header value': () => `${head}${line(pick(['X-Test', 'Content-Type', 'Cookie', 'Accept']), text(int(200)))}\r\n`,
    'a header value of random length': () => `${head}${line('Authorization', `Basic ${'A'.repeat(length())}`)}\r\n`,
    'many headers': () => `${head}${Array.from({ length: int(400) }, (_, i) => line(`X-H${i}`, 'v')).join('')}\r\n`,
    'oversize headers': () => `${head}${line('X-Big', 'b'.repeat(17 * 1024 + int(64 * 1024)))}\r\n`,
    'a broken request line': () =>
      `${pick(['GET', '', 'G\0T', text(int(12)), 'GET /directory', 'GET /directory HTTP/9.9', 'GET  /directory  HTTP/1.1', '/directory HTTP/1.1', 'GET http://[::1 HTTP/1.1', `GET /${'a'.repeat(length())} HTTP/1.1`, 'PRI * HTTP/2.0'])}\r\nHost: x\r\n\r\n`,
    'random bytes only': () => text(1 + int(300)),
    'a bad body length': () =>
      `POST /directory HTTP/1.1\r\nHost: x\r\nAuthorization: ${DEFAULT_KEYS.valid}\r\n${pick(['Content-Length: -1', 'Content-Length: 99999999', 'Content-Length: 5\r\nContent-Length: 6', 'Transfer-Encoding: chunked\r\nContent-Length: 3', 'Transfer-Encoding: chunked'])}\r\n\r\n${pick(['{}', 'zz\r\n', text(int(50))])}`,
    'bare LF and control characters': () => `${head.replace(/\r\n/g, '\n')}Authorization: Basic\x00\x7f${text(int(10))}\n\n`,
    'an obs-fold continuation line': () => `${head}Authorization: Basic\r\n ${DEFAULT_KEYS.valid.slice(6)}\r\n\r\n`,
  };
  const kind = pick(Object.keys(kinds));
  return { kind, bytes: Buffer.from(kinds[kind]!(), 'latin1') };
}

/** Splits bytes into a few pieces for a slow client. */
function pieces(b: Buffer, n: number): Buffer[] {
  const size = Math.max(1, Math.ceil(b.length / n));
  return Array.from({ length: Math.ceil(b.length / size) }, (_, i) => b.subarray(i * size, (i + 1) * size));
}

test(`${COUNT} random malformed requests: the mock never crashes, never answers 5xx, and still answers correct requests`, async () => {
  const rand = prng(SEED);
  const plan = Array.from({ length: COUNT }, (_, i) => {
    if (i % 100 === 99) return { kind: 'a correct request with the valid key', bytes: GOOD(DEFAULT_KEYS.valid), slow: false };
    return { ...malformed(rand), slow: rand() < 0.03 };
  });
  const offences: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < plan.length) {
      const i = next++;
      const p = plan[i]!;
      const o = await exchange(p.slow ? pieces(p.bytes, 4) : [p.bytes], 25);
      const where = `#${i} (${p.kind}${p.slow ? ', slow' : ''})`;
      if (o.statuses.some((s) => s >= 500)) offences.push(`${where}: answered ${o.statuses.join(', ')}`);
      if (o.garbage) offences.push(`${where}: answered bytes that are not HTTP`);
      if (o.hung) offences.push(`${where}: neither answered nor closed`);
      if (p.kind.startsWith('a correct') && o.statuses[0] !== 200) offences.push(`${where}: answered ${o.statuses.join(', ') || 'nothing'}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  expect(offences.slice(0, 20), REPLAY).toEqual([]);
  expect(mock.exitCode, `${REPLAY}: the mock exited`).toBeNull();
  expect(mockStderr, REPLAY).toBe('');
  // Afterwards, the documented answers are intact.
  expect((await exchange([GOOD(DEFAULT_KEYS.valid)], 0)).statuses, REPLAY).toEqual([200]);
  expect((await exchange([GOOD()], 0)).statuses, REPLAY).toEqual([400]);
  expect((await exchange([GOOD('Basic d3Jvbmc=')], 0)).statuses, REPLAY).toEqual([401]);
});

test('a load test (autocannon, 3000 requests over 20 connections) ends without errors, timeouts or 5xx, each answer as documented', async () => {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: 20,
    amount: 3000,
    timeout: 30,
    requests: [
      { method: 'GET', path: '/directory', headers: { authorization: DEFAULT_KEYS.valid } },
      { method: 'GET', path: '/directory' },
      { method: 'GET', path: '/directory', headers: { authorization: 'Basic d3Jvbmc=' } },
    ],
  });
  expect(result.errors).toBe(0);
  expect(result.timeouts).toBe(0);
  expect(result['5xx']).toBe(0);
  const counts = Object.fromEntries(Object.entries(result.statusCodeStats).map(([status, s]) => [status, Number(s.count)]));
  expect(counts).toEqual({ 200: 1000, 400: 1000, 401: 1000 });
  expect(result.non2xx).toBe(2000);
  expect(mock.exitCode).toBeNull();
  expect(mockStderr).toBe('');
});
