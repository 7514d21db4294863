// The reference mock on its own, over raw sockets: the request-target forms it routes (plain
// paths are split by hand, the rest go through URL, with the same result) and the request counter
// the benchmark reads.
import net from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { DEFAULT_KEYS, startMock, type RunningMock } from '../mock/server.js';
import { parseResponse } from '../core/http/raw.js';

let mock: RunningMock;
let counted = 0;
beforeAll(async () => {
  mock = await startMock({ onRequest: () => counted++ });
});
afterAll(() => mock.close());

/** Sends the bytes as written and returns the parsed answer. */
function ask(requestLine: string, headers = [`Authorization: ${DEFAULT_KEYS.valid}`]) {
  const { hostname, port } = new URL(mock.url);
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.end([requestLine, 'Host: mock', 'Connection: close', ...headers, '', ''].join('\r\n')));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c)).on('error', reject);
    socket.on('end', () => resolve(parseResponse(Buffer.concat(chunks), 1 << 20, 'ended')!));
  });
}

test.for([
  ['/directory', 200],
  ['/directory/', 200],
  ['/directory?api_key=x&b=%22', 200],
  ['http://api.example/directory', 200], // absolute form (RFC 9112 §3.2.2)
  ['/file/../directory', 200], // dot segments, resolved as URL resolves them
  ['//directory', 404], // URL reads "directory" as a host here
  ['/directory/dir_unknown', 404], // the spec's documented 404: the mock knows only the example id
  ['/nothing', 404],
] as const)('GET %s → %i with the valid key', async ([target, status]) => {
  expect((await ask(`GET ${target} HTTP/1.1`)).status).toBe(status);
});

test('without a key, a plain path with a query is still routed and refused with 400', async () => {
  const r = await ask('GET /directory?api_key=x HTTP/1.1', []);
  expect([r.status, JSON.parse(r.body)]).toEqual([400, { ok: false, error: 'Missing Authorization header' }]);
});

test('onRequest counts every request, including one that the HTTP parser refuses', async () => {
  const before = counted;
  await ask('GET /directory HTTP/1.1');
  const refused = await ask('GET /directory HTTP/1.1', ['Bad Name: x']);
  expect(refused.status).toBe(400);
  expect(counted - before).toBe(2);
});

test('an exception in the mock is a 500 and a logged error, never a 400 that a test would read as a refusal', async () => {
  const logged: string[] = [];
  const broken = await startMock({
    onRequest: (res) => {
      if (res?.req.url === '/directory?boom') throw new Error('planted bug');
    },
    onError: (e, req) => logged.push(`${req.url}: ${(e as Error).message}`),
  });
  try {
    const r = await fetch(`${broken.url}/directory?boom`, { headers: { authorization: DEFAULT_KEYS.valid } });
    expect([r.status, await r.json()]).toEqual([500, { ok: false, error: 'Internal Server Error' }]);
    expect(logged).toEqual(['/directory?boom: planted bug']);
    expect((await fetch(`${broken.url}/directory`, { headers: { authorization: DEFAULT_KEYS.valid } })).status).toBe(200);
  } finally {
    await broken.close();
  }
});

test('a malformed percent-encoding in a directory id is an unknown directory (404), not a crash of the mock', async () => {
  const r = await ask('GET /directory/%E0%A4%A HTTP/1.1');
  expect([r.status, JSON.parse(r.body)]).toEqual([404, { ok: false, error: 'Directory not found' }]);
});
