// Hostile targets: each a loopback server that misbehaves in one way. A run against each must end
// on its own (inside the test's timeout: the command runs in this process, several at once), with a
// clear verdict for the checks it affects, a report when any check could run, and one line on
// stderr when none could (exit 2). How the process itself ends is test/interrupt.test.ts's and
// test/endings.test.ts's.
import http from 'node:http';
import net from 'node:net';
import { afterAll, describe, expect, test } from 'vitest';
import { createMockServer } from '../mock/server.js';
import { cleanEnv, listenLocal, MOCK_ENV, runInProcess, TEST_TLS } from './helpers.js';
import type { Verdict } from '../core/results.js';

const CAP = 256 * 1024; // core/config.ts: maxBodyBytes

interface Hostile {
  url: string;
  /** Every request line it received (`other-host:` for the second server of a redirect). */
  log: string[];
  close(): Promise<void>;
}

const running: Hostile[] = [];
afterAll(() => Promise.all(running.map((h) => h.close())));

/** Listens on 127.0.0.1:0 and tracks sockets so close() ends even never-ending answers. */
async function listen(server: net.Server, scheme: 'http' | 'https', log: string[] = []): Promise<Hostile> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s)).on('error', () => {});
  });
  const hostile = {
    url: await listenLocal(server, scheme),
    log,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  running.push(hostile);
  return hostile;
}

/** An HTTP server whose every answer is `answer`; it logs each request line. */
function web(answer: (req: http.IncomingMessage, res: http.ServerResponse) => void, log: string[] = [], prefix = ''): Promise<Hostile> {
  const server = http.createServer((req, res) => {
    log.push(`${prefix}${req.method} ${req.url}${req.headers.authorization ? ' (with Authorization)' : ''}`);
    res.on('error', () => {});
    answer(req, res);
  });
  return listen(server, 'http', log);
}

/** A TCP server that does `onSocket` with each connection, without speaking HTTP. */
const tcp = (onSocket: (s: net.Socket) => void) => listen(net.createServer(onSocket), 'http');

/** Answers every request with `answer`, even those an HTTP server's parser would refuse. */
const raw = (answer: (s: net.Socket) => void) => tcp((s) => s.once('data', () => answer(s)));
/**
 * Both transports at once: requests on the raw socket (rawRequestBytes ends its header section
 * with `Connection: close`, undici never writes that) get `answer`; every other request is passed
 * to a bundled mock, whose answers `prefix` may precede on each connection.
 */
async function split(answer: ((s: net.Socket) => void) | undefined, prefix = ''): Promise<Hostile> {
  const mock = await listen(createMockServer(), 'http');
  const { port } = new URL(mock.url);
  return tcp((s) =>
    s.once('data', (first: Buffer) => {
      if (answer && first.includes('\r\nConnection: close\r\n')) return answer(s);
      const upstream = net.connect(Number(port), '127.0.0.1', () => upstream.write(first));
      let prefixed = false;
      upstream.on('data', (d) => {
        if (!prefixed) s.write(prefix);
        prefixed = true;
        s.write(d);
      });
      upstream.on('end', () => s.end()).on('error', () => s.destroy());
      s.on('data', (d) => upstream.write(d)).on('close', () => upstream.destroy());
    }),
  );
}
const HEAD = (status: string, length: number) => `HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

const JSON_HEAD = { 'content-type': 'application/json' };

/** Writes `total` bytes of a JSON-looking body as fast as the client reads, or forever. */
function flood(res: http.ServerResponse, total = Infinity): void {
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  let sent = 0;
  const pump = () => {
    while (sent < total && !res.destroyed) {
      sent += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    if (!res.destroyed) res.end();
  };
  res.write('{"ok":true,"directories":[');
  pump();
}

interface Row {
  name: string;
  start: () => Promise<Hostile>;
  /** --timeout in seconds: 1 where the target stalls (each stalled request costs that much), else 5 so a busy machine does not turn answers into errors. */
  timeout?: string;
  args?: string[];
  exit: number;
  /** Exit 2 (the preflight got no HTTP answer): the one stderr line. */
  stderr?: RegExp;
  /** Checks on both transports (undici, raw socket) and the verdict each must get. */
  sample?: Record<string, Verdict>;
  /** What the sampled checks' outcome or message must say. */
  says?: RegExp;
  /** Verdicts no check may get. */
  never?: Verdict[];
  /** No request the target logged may match: a redirect must not be followed. */
  neverLogged?: RegExp;
}

const verdicts = (undici: Verdict, valid: Verdict, raw: Verdict): Record<string, Verdict> => ({
  'auth.missing.listDirectories': undici,
  'auth.valid.listDirectories': valid,
  'hdr.whitespace.trailing-space': raw,
});
const NO_ANSWER: Verdict[] = ['pass', 'fail', 'observed'];
const ANSWERED: Verdict[] = ['error'];

const ROWS: Row[] = [
  {
    name: 'accepts the connection and never answers',
    start: () => tcp(() => {}),
    timeout: '1',
    exit: 2,
    stderr: /cannot reach target .*no complete answer .*in time/,
  },
  {
    name: 'answers the headers and never the body',
    start: () => raw((s) => s.write(`${HEAD('200 OK', 100)}{"ok":`)),
    timeout: '1',
    exit: 3,
    sample: verdicts('error', 'error', 'error'),
    says: /in time/,
    never: NO_ANSWER,
  },
  {
    name: 'trickles the body a byte at a time',
    start: () =>
      raw((s) => {
        s.write(HEAD('200 OK', 100_000));
        const timer = setInterval(() => s.write(' '), 20);
        s.on('close', () => clearInterval(timer));
      }),
    timeout: '1',
    exit: 3,
    sample: verdicts('error', 'error', 'error'),
    says: /in time/,
    never: NO_ANSWER,
  },
  {
    name: 'answers a 50 MB body',
    start: () => web((_, res) => flood(res.writeHead(200, { ...JSON_HEAD, 'content-length': String(50 * 1024 * 1024 + 27) }), 50 * 1024 * 1024)),
    exit: 1,
    sample: verdicts('fail', 'error', 'error'),
    says: new RegExp(`truncated at ${CAP} bytes`),
  },
  {
    name: 'answers a body that never ends',
    start: () => web((_, res) => flood(res.writeHead(200, JSON_HEAD))),
    exit: 1,
    sample: verdicts('fail', 'error', 'error'),
    says: new RegExp(`truncated at ${CAP} bytes`),
  },
  {
    name: 'says application/json but sends invalid JSON',
    start: () => web((_, res) => res.writeHead(401, JSON_HEAD).end('{"ok":false,"error":')),
    exit: 1,
    // It refuses the valid key too (401): the checks that need an accepted key are not verified.
    sample: { 'auth.missing.listDirectories': 'fail', 'hdr.prefix.bearer': 'not-verified' },
    says: /not JSON/,
    never: ANSWERED,
  },
  {
    name: 'says application/json but sends HTML',
    start: () => web((_, res) => res.writeHead(200, JSON_HEAD).end('<html><body><h1>Welcome</h1></body></html>')),
    exit: 1,
    sample: verdicts('fail', 'fail', 'fail'),
    says: /not JSON/,
    never: ANSWERED,
  },
  {
    name: 'sends a Content-Length larger than its body, then closes',
    start: () => raw((s) => s.end(`${HEAD('401 Unauthorized', 100)}{"ok":false,"error":"Invalid API key"}`)),
    exit: 3,
    sample: verdicts('error', 'error', 'error'),
    says: /reset|ended/,
    never: NO_ANSWER,
  },
  {
    name: 'sends a Content-Length smaller than its body',
    start: () => raw((s) => s.end(`${HEAD('400 Bad Request', 20)}{"ok":false,"error":"Missing Authorization header"}`)),
    exit: 1,
    sample: verdicts('fail', 'fail', 'fail'),
    says: /not JSON/,
  },
  {
    name: 'resets the connection mid-body',
    start: () =>
      raw((s) => {
        s.write(`${HEAD('401 Unauthorized', 100)}{"ok":false,`);
        setTimeout(() => s.resetAndDestroy(), 20);
      }),
    exit: 3,
    sample: verdicts('error', 'error', 'error'),
    says: /reset|ended after/, // an RST may also reach a raw socket as the end of the stream
    never: NO_ANSWER,
  },
  {
    name: 'sends a negative chunk size on the raw socket (issue 13, case 1)',
    start: () => split((s) => s.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n-6\r\n{"ok":false}\r\n0\r\n\r\n`)),
    args: ['--deadline', '30'],
    exit: 3,
    sample: { 'hdr.whitespace.trailing-space': 'error' },
    says: /chunk size "-6" is not hexadecimal digits/,
  },
  {
    name: 'answers 103 Early Hints before each correct answer (issue 13, case 5)',
    start: () => split(undefined, 'HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n'),
    exit: 0,
    sample: verdicts('pass', 'pass', 'pass'),
    never: ['fail', 'error'],
  },
  {
    name: 'answers status 000 on the raw socket',
    start: () => split((s) => s.end(`${HEAD('000 OK', 2)}{}`)),
    exit: 3,
    sample: { 'hdr.whitespace.trailing-space': 'error' },
    says: /not a valid HTTP status line .*"HTTP\/1.1 000 OK"/,
  },
  {
    name: 'answers status 000 (issue 13, case 9)',
    start: () => raw((s) => s.end(`${HEAD('000 OK', 2)}{}`)),
    exit: 2,
    stderr: /cannot reach target .*did not answer valid HTTP \(an invalid status line\)/,
  },
  {
    name: 'answers something that is not HTTP',
    start: () => tcp((s) => s.end('SSH-2.0-OpenSSH_9.2p1\r\nProtocol mismatch.\r\n')),
    exit: 2,
    stderr: /cannot reach target .*did not answer (valid )?HTTP/,
  },
  {
    name: 'speaks TLS with a self-signed certificate',
    start: () => listen(createMockServer({ tls: TEST_TLS }), 'https'),
    exit: 2,
    stderr: /cannot reach target .*certificate.*--insecure/,
  },
  {
    name: 'speaks TLS with a self-signed certificate, run with --insecure',
    start: () => listen(createMockServer({ tls: TEST_TLS }), 'https'),
    args: ['--insecure'],
    exit: 0,
    sample: verdicts('pass', 'pass', 'pass'),
    never: ['fail', 'error'],
  },
  {
    name: 'speaks plain HTTP on an https URL',
    start: async () => {
      const plain = await listen(createMockServer(), 'http');
      return { ...plain, url: plain.url.replace('http:', 'https:') };
    },
    exit: 2,
    stderr: /cannot reach target .*plain HTTP.*http:\/\//,
  },
  {
    name: 'redirects in a loop',
    start: () => web((req, res) => res.writeHead(302, { location: `${req.url}${req.url?.includes('?') ? '&' : '?'}hop=1` }).end()),
    exit: 1,
    sample: verdicts('fail', 'fail', 'fail'),
    says: /302/,
    neverLogged: /hop=/,
  },
  {
    name: 'redirects to another host (the key must not follow)',
    start: async () => {
      const log: string[] = [];
      const other = await web((_, res) => res.writeHead(200, JSON_HEAD).end('{"ok":true,"directories":[]}'), log, 'other-host: ');
      const otherUrl = other.url.replace('127.0.0.1', 'localhost');
      return web((req, res) => res.writeHead(307, { location: `${otherUrl}${req.url}` }).end(), log);
    },
    exit: 1,
    sample: verdicts('fail', 'fail', 'fail'),
    says: /307/,
    neverLogged: /^other-host/,
  },
];

describe.concurrent('a run against a hostile target ends on its own with a clear verdict', { timeout: 60_000 }, () => {
  test.for(ROWS)('$name', async (row) => {
    const target = await row.start();
    const run = await runInProcess(['--target', target.url, '--timeout', row.timeout ?? '5', '--concurrency', '32', ...(row.args ?? [])], cleanEnv(MOCK_ENV));
    const context = `${run.stdout}\n${run.stderr}`;
    expect(run.code, context).toBe(row.exit);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    if (row.stderr) {
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(row.stderr);
      // nothing could run, and the report still says why: every check an error, exit 2
      const report = run.report();
      expect(report.summary.exitCode).toBe(2);
      expect(report.checks.length).toBeGreaterThan(60);
      expect(report.checks.every((c) => c.verdict === 'error' && row.stderr!.test(c.message ?? ''))).toBe(true);
    } else {
      const report = run.report();
      expect(report.summary.exitCode).toBe(row.exit);
      for (const [id, verdict] of Object.entries(row.sample ?? {})) {
        const check = report.checks.find((c) => c.id === id);
        expect(check?.verdict, `${id}: ${JSON.stringify(check)}`).toBe(verdict);
        if (row.says && verdict !== 'not-verified') expect(`${check?.outcome} ${check?.message}`, id).toMatch(row.says);
      }
      const unexpected = report.checks.filter((c) => row.never?.includes(c.verdict)).map((c) => `${c.id}: ${c.verdict} ${c.outcome}`);
      expect(unexpected).toEqual([]);
    }
    if (row.neverLogged) {
      expect(target.log.length).toBeGreaterThan(0);
      expect(target.log.filter((l) => row.neverLogged!.test(l))).toEqual([]);
    }
  });
});
