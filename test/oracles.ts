// Oracle targets: servers that are wrong in the bluntest ways, on loopback. Each answers every
// request alike (or replays, or never answers), so that a check no seeded fault of the mock fails
// is still shown to fail against something (test/kill.test.ts). Raw sockets, not node:http, for the
// ones that answer everything: they must also take the malformed requests Node's parser refuses.
import http from 'node:http';
import net from 'node:net';
import { startMock, type MockOptions } from '../mock/server.js';
import { listenLocal } from './helpers.js';

export interface Listening {
  url: string;
  close(): Promise<void>;
}

export const ORACLES = {
  'accept-everything': 'answers every request 200 {"ok":true}, malformed ones included',
  'reject-everything': 'answers every request 401 {"ok":false,"error":"Invalid API key"}',
  '500-everything': 'answers every request 500 {"ok":false,"error":"Internal Server Error"}',
  'close-without-answer': 'closes every connection without an answer',
  'echo-everything': 'answers every request 200 with the request head in a JSON body',
  'cache-everything': 'a cache in front of the clean mock that replays the first 200 answer to a GET to anyone, keyed on the URL only',
} as const;
export type Oracle = keyof typeof ORACLES;

async function listen(server: net.Server): Promise<Listening> {
  return {
    url: await listenLocal(server),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A raw HTTP/1.1 server: reads each request's head (and a Content-Length body), answers it, closes. */
function rawServer(answer: (head: string) => { status: string; body: unknown } | undefined): Promise<Listening> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket)).on('error', () => {});
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const text = buffered.toString('latin1');
      const blank = /\r?\n\r?\n/.exec(text); // the end of the head, bare LFs too
      if (!blank) return;
      const head = text.slice(0, blank.index);
      const length = Number(/\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      if (buffered.length < blank.index + blank[0].length + length) return;
      const a = answer(head);
      if (!a) return void socket.destroy();
      const body = JSON.stringify(a.body);
      socket.end(`HTTP/1.1 ${a.status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    });
  });
  return listen(server).then((l) => ({ ...l, close: () => (sockets.forEach((s) => s.destroy()), l.close()) }));
}

/** A cache keyed on the URL only, in front of the clean mock: a GET answered 200 once is replayed to anyone. */
async function cachingProxy(mockOptions: MockOptions): Promise<Listening> {
  const mock = await startMock(mockOptions);
  const cache = new Map<string, { headers: http.IncomingHttpHeaders; body: Buffer }>();
  const server = http.createServer({ requireHostHeader: false }, (req, res) => {
    const hit = req.method === 'GET' ? cache.get(req.url ?? '/') : undefined;
    if (hit) return void res.writeHead(200, { ...hit.headers, age: '1' }).end(hit.body);
    const upstream = http.request(`${mock.url}${req.url ?? '/'}`, { method: req.method, headers: req.headers }, (up) => {
      const chunks: Buffer[] = [];
      up.on('data', (c: Buffer) => chunks.push(c)).on('end', () => {
        const body = Buffer.concat(chunks);
        if (req.method === 'GET' && up.statusCode === 200) cache.set(req.url ?? '/', { headers: up.headers, body });
        res.writeHead(up.statusCode ?? 502, up.headers).end(body);
      });
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  const l = await listen(server);
  return { url: l.url, close: async () => (server.closeAllConnections(), await Promise.all([l.close(), mock.close()]), undefined) };
}

/** Starts an oracle; `mockOptions` are the clean mock's behind cache-everything (its keys). */
export function startOracle(oracle: Oracle, mockOptions: MockOptions = {}): Promise<Listening> {
  switch (oracle) {
    case 'accept-everything':
      return rawServer(() => ({ status: '200 OK', body: { ok: true } }));
    case 'reject-everything':
      return rawServer(() => ({ status: '401 Unauthorized', body: { ok: false, error: 'Invalid API key' } }));
    case '500-everything':
      return rawServer(() => ({ status: '500 Internal Server Error', body: { ok: false, error: 'Internal Server Error' } }));
    case 'close-without-answer':
      return rawServer(() => undefined);
    case 'echo-everything':
      return rawServer((head) => ({ status: '200 OK', body: { ok: true, request: head } }));
    case 'cache-everything':
      return cachingProxy(mockOptions);
  }
}
