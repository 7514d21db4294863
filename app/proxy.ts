// The passive validation proxy: forwards every request to the upstream and every answer back,
// streaming and byte for byte (hop-by-hop headers aside), and hands a bounded copy of each
// exchange to the passive judge (suites/passive.ts), which judges it with the active run's spec,
// catalog, judges and redaction. Reports come from the same result model and reporters, written
// on an interval, when stopped (stop(), a signal, --stop-after, --duration) and on request.
import http from 'node:http';
import { join } from 'node:path';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { summaryLines, VIEWS, writeReports } from '../reporters/index.js';
import { buildReport, type Report } from '../reporters/model.js';
import { PassiveJudge, type Observed, type PassiveEvent } from '../suites/passive.js';
import { keyProblem, type Config, type Target } from '../core/config.js';
import { UsageError } from '../core/errors.js';
import { checkOutputDir } from '../core/files.js';
import { lockReportDir } from '../core/lock.js';
import { decodeBody } from '../core/http/body.js';
import { classify, HarnessError, isLoopback } from '../core/http/errors.js';
import type { HttpRequest } from '../core/http/types.js';
import { reportHead } from './run.js';
import { addSecret, redacting, type Lines } from '../core/secrets.js';
import { DEFAULT_SPEC, loadContract } from '../core/spec.js';
import { TOOL } from './tool.js';
import { KEY_VARS, type KeyRole } from '../core/targets.js';

export interface ProxyOptions {
  /** The server the traffic goes to: http(s)://host[:port][/base]. */
  upstream: string;
  /** Where the proxy listens (default 127.0.0.1, port 0: any free port). */
  port?: number;
  host?: string;
  /** Where report.json, report.md, report.html and junit.xml are written (default "reports"). */
  reportDir?: string;
  /** The configured keys (whole header values); each unset here is read from `env` by its variable. */
  keys?: Partial<Record<KeyRole, string>>;
  env?: NodeJS.ProcessEnv;
  spec?: string;
  strict?: boolean;
  requireComplete?: boolean;
  /** Stop after this many exchanges. */
  stopAfter?: number;
  /** Stop after this many seconds. */
  durationSeconds?: number;
  /** Write the reports every this many seconds while running (default 10; 0: only when stopped). */
  reportIntervalSeconds?: number;
  /** Per exchange, for the upstream's whole answer (default 60). */
  timeoutSeconds?: number;
  /** The bytes of each body the judge reads at most (default 256 KiB); the rest is forwarded, not judged. */
  maxBodyBytes?: number;
  allowInsecureHttp?: boolean;
  insecure?: boolean;
  /** Aborting it stops the proxy as stop() does. */
  signal?: AbortSignal;
  /** The proxy's lines (redacted): a line per finding as it happens, the summary when stopped. */
  print?: Lines;
}

export interface RunningProxy {
  /** Where clients send their requests instead of the upstream. */
  url: string;
  /** The report of the traffic so far (not written). */
  report(): Report;
  /** Stops listening, lets the exchanges in flight end, writes the reports; resolves to the final report. */
  stop(): Promise<Report>;
  /** Settles with the final report once the proxy stopped, whatever stopped it. */
  done: Promise<Report>;
}

/** Hop-by-hop fields (RFC 9110 §7.6.1): the connection's own, never forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** Header lines (rawHeaders: name, value, name, value...) as pairs without the hop-by-hop fields and those Connection names. */
function endToEnd(raw: string[]): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i]!, raw[i + 1]!]);
  const named = new Set(pairs.filter(([n]) => n.toLowerCase() === 'connection').flatMap(([, v]) => v.split(',').map((t) => t.trim().toLowerCase())));
  return pairs.filter(([n]) => !HOP_BY_HOP.has(n.toLowerCase()) && !named.has(n.toLowerCase()));
}

/** The first `max` bytes of a stream (one more, to know there was more), and how many went by. */
class Capped {
  private parts: Buffer[] = [];
  private kept = 0;
  total = 0;
  constructor(private readonly max: number) {}
  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.kept > this.max) return;
    const take = chunk.subarray(0, this.max + 1 - this.kept);
    this.parts.push(take);
    this.kept += take.length;
  }
  get truncated(): boolean {
    return this.kept > this.max;
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts).subarray(0, this.max);
  }
}

const positive = (name: string, v: number | undefined, fallback: number): number => {
  if (v === undefined) return fallback;
  if (!Number.isFinite(v) || v < 0) throw new UsageError(`${name} must be a number of 0 or more, got ${v}`);
  return v;
};

function upstreamUrl(raw: string, allowInsecureHttp: boolean): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UsageError(`invalid upstream URL "${raw}" (expected http(s)://host[:port][/base])`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`invalid upstream URL "${raw}": only http and https are supported`);
  if (u.username || u.password) throw new UsageError('the upstream URL must not carry credentials');
  if (u.search || u.hash) throw new UsageError('the upstream URL must be a base URL without query or fragment');
  if (u.protocol === 'http:' && !isLoopback(u.hostname) && !allowInsecureHttp)
    throw new UsageError(`refusing to forward keys over plain http to ${u.host}; use https, or --allow-insecure-http for a trusted network (each such request is then a client finding)`);
  return u;
}

/** Starts the proxy; it runs until stopped. Bad input rejects with a UsageError (the command's one-line error). */
export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const upstream = upstreamUrl(options.upstream, options.allowInsecureHttp === true);
  const base = upstream.pathname.replace(/\/+$/, '');
  const env: NodeJS.ProcessEnv = { ...(options.env ?? process.env) };
  for (const role of Object.keys(KEY_VARS) as KeyRole[]) if (options.keys?.[role] !== undefined) env[KEY_VARS[role]] = options.keys[role];
  for (const name of Object.values(KEY_VARS)) {
    const problem = env[name] === undefined ? undefined : keyProblem(env[name]);
    if (problem) throw new UsageError(`${name} ${problem}`);
    addSecret(name, env[name]);
  }
  const lines = redacting(options.print);
  const maxBodyBytes = positive('the body cap', options.maxBodyBytes, 256 * 1024);
  const timeoutMs = positive('--timeout', options.timeoutSeconds, 60) * 1000;
  const stopAfter = options.stopAfter === undefined ? undefined : positive('--stop-after', options.stopAfter, 0);
  const reportDir = options.reportDir ?? 'reports';
  checkOutputDir(reportDir, Object.keys(VIEWS));
  const contract = await loadContract(options.spec ?? DEFAULT_SPEC);
  const target: Target = {
    name: 'proxy',
    url: upstream.href.replace(/\/+$/, ''),
    bundledMock: false,
    profile: 'direct',
    credentials: { ...KEY_VARS },
    capabilities: { writes: true, quotaKey: true },
  };
  const config: Config = {
    target,
    reportDir,
    strict: options.strict === true,
    requireComplete: options.requireComplete === true,
    selection: { only: [], skip: [] },
    specPath: contract.path,
    concurrency: 1, // the proxy sends nothing of its own: the traffic's concurrency is its clients'
    http: { timeoutMs, maxBodyBytes, insecure: options.insecure === true },
    plan: false,
    deadlineMs: 0,
    outputs: Object.fromEntries(Object.keys(VIEWS).map((name) => [name, join(reportDir, name)])),
    output: 'normal',
  };
  const keys = Object.fromEntries(Object.values(KEY_VARS).map((v) => [v, env[v]]));
  const judge = new PassiveJudge(contract, target, keys, maxBodyBytes);
  const startedAt = new Date();
  const head = reportHead(config, contract, startedAt, env);

  /** Findings printed per check; past the cap they are counted in the report only. */
  const printed = new Map<string, number>();
  const PRINT_CAP = 10;
  const print = (e: PassiveEvent) => {
    const n = (printed.get(e.check) ?? 0) + 1;
    printed.set(e.check, n);
    if (n <= PRINT_CAP) lines.out(`  ✗ ${e.party} ${e.clause} (${e.level}) ${e.check} — ${e.exchange}: ${e.message}`);
    if (n === PRINT_CAP) lines.out(`    (further findings of ${e.check} are counted in the report, not printed)`);
  };

  const agentOptions = { keepAlive: true, maxSockets: 256, ...(upstream.protocol === 'https:' && { rejectUnauthorized: options.insecure !== true }) };
  const agent = upstream.protocol === 'https:' ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
  const send = upstream.protocol === 'https:' ? https.request : http.request;
  let completed = 0;
  let inFlight = 0;
  /** Exchanges waiting for the judge; past MAX_QUEUED an exchange is forwarded and counted, not judged: memory stays bounded. */
  let queued = 0;
  let behind = 0;
  /** Exchanges the client broke off before the answer was complete: no fault of the upstream, not judged. */
  let brokenOff = 0;
  const MAX_QUEUED = 100; // × two bodies of at most maxBodyBytes each
  let judging = Promise.resolve();
  let stopping: Promise<Report> | undefined;

  const finishExchange = (observed: Omit<Observed, 'response'> & { received?: { status: number; headers: http.IncomingHttpHeaders; body: Capped } }) => {
    completed++;
    inFlight--;
    if (stopAfter !== undefined && completed >= stopAfter) void stop();
    if (queued >= MAX_QUEUED) {
      behind++;
      return;
    }
    queued++;
    // Judged after the answer went back, one exchange after another: the traffic never waits for the judge.
    judging = judging.then(async () => {
      queued--;
      const { received, ...rest } = observed;
      let ex: Observed = rest;
      if (received) {
        const headers = Object.fromEntries(Object.entries(received.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
        const bytes = received.body.bytes();
        const decoded = await decodeBody({ status: received.status, headers, body: bytes.toString('utf8'), bytes, truncated: received.body.truncated }, maxBodyBytes);
        ex = { ...rest, response: { ...decoded, ms: 0 } };
      }
      for (const e of judge.judge(ex)) print(e);
    }).catch((e: unknown) => lines.err(`warning: an exchange could not be judged: ${(e as Error).message}`));
  };

  const server = http.createServer({ maxHeaderSize: 128 * 1024 }, (req, res) => {
    inFlight++;
    const path = /^[a-z][a-z0-9+.-]*:\/\//i.test(req.url ?? '') ? (() => {
      const u = new URL(req.url!);
      return u.pathname + u.search;
    })() : (req.url ?? '/');
    const url = new URL(base + (path.startsWith('/') ? path : `/${path}`), upstream.origin);
    const headers = endToEnd(req.rawHeaders).map(([n, v]): [string, string] => (n.toLowerCase() === 'host' ? [n, upstream.host] : [n, v]));
    if (!headers.some(([n]) => n.toLowerCase() === 'host')) headers.unshift(['Host', upstream.host]);
    const body = new Capped(maxBodyBytes);
    const request = (): HttpRequest => {
      const copy = body.bytes();
      return { method: req.method ?? 'GET', url, headers, ...(body.total > 0 && { body: copy.toString('utf8') }) };
    };
    let settled = false;
    const settle = (outcome: { error: HarnessError } | { received: { status: number; headers: http.IncomingHttpHeaders; body: Capped } }) => {
      if (settled) return;
      settled = true;
      finishExchange({ request: request(), path, requestTruncated: body.truncated, ...outcome });
    };
    const up = send(url, { method: req.method, headers: headers.flat(), agent, setHost: false });
    up.setTimeout(timeoutMs, () => up.destroy(new HarnessError('timeout', `the upstream gave no complete answer within ${timeoutMs / 1000} s`)));
    up.on('response', (ur) => {
      const copy = new Capped(maxBodyBytes);
      res.sendDate = false; // the upstream's own Date, or none: its header lines as it sent them
      res.writeHead(ur.statusCode ?? 502, ur.statusMessage, endToEnd(ur.rawHeaders).flat());
      ur.on('data', (c: Buffer) => copy.push(c));
      ur.pipe(res);
      ur.on('end', () => settle({ received: { status: ur.statusCode ?? 0, headers: ur.headers, body: copy } }));
      ur.on('error', (e) => {
        res.destroy();
        settle({ error: classify(e, url) });
      });
    });
    up.on('error', (e) => {
      const error = classify(e, url);
      if (!res.headersSent) {
        const status = error.kind === 'timeout' ? 504 : 502;
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }).end(`${status} ${status === 504 ? 'Gateway Timeout' : 'Bad Gateway'}: the upstream ${error.message}\n`);
      } else res.destroy();
      settle({ error });
    });
    req.on('data', (c: Buffer) => body.push(c));
    req.on('error', () => up.destroy());
    req.pipe(up);
    // The client went away before the answer was complete: the upstream request goes too.
    res.on('close', () => {
      if (res.writableFinished || settled) return;
      settled = true;
      up.destroy();
      inFlight--;
      brokenOff++;
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new UsageError(`cannot listen on ${options.host ?? '127.0.0.1'}:${options.port ?? 0} (${e.code ?? e.message})`)));
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  // One run, one directory (core/lock.ts): held while the proxy writes its reports there.
  let unlock: () => void;
  try {
    unlock = lockReportDir(reportDir, lines.err);
  } catch (e) {
    server.close();
    agent.destroy();
    throw e;
  }

  const report = (): Report => {
    const built = buildReport({ ...head, durationMs: Date.now() - startedAt.getTime(), interrupted: false }, judge.results());
    const s = built.summary;
    // Too little was seen to say anything: no MUST check was judged (nothing failed either).
    if (s.exitCode !== 1 && s.coverage.MUST.verified === 0) return { ...built, summary: { ...s, verdict: 'inconclusive', conformant: false, exitCode: 3 } };
    return built;
  };
  const write = () => writeReports(report(), reportDir);
  const intervalMs = positive('--report-interval', options.reportIntervalSeconds, 10) * 1000;
  const interval = intervalMs > 0 ? setInterval(() => void judging.then(write).catch((e: unknown) => lines.err(`warning: ${(e as Error).message}`)), intervalMs).unref() : undefined;
  const duration = options.durationSeconds === undefined ? undefined : setTimeout(() => void stop(), positive('--duration', options.durationSeconds, 0) * 1000).unref();

  let resolveDone!: (r: Report) => void;
  let rejectDone!: (e: unknown) => void;
  const done = new Promise<Report>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  done.catch(() => {});
  function stop(): Promise<Report> {
    stopping ??= (async () => {
      clearInterval(interval);
      clearTimeout(duration);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // The exchanges in flight may end (at most the timeout), then the rest is cut.
      const until = Date.now() + Math.min(timeoutMs, 5_000);
      while (inFlight > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      server.closeAllConnections();
      await closed;
      agent.destroy();
      await judging;
      const final = report();
      const files = (() => {
        try {
          return writeReports(final, reportDir);
        } finally {
          unlock();
        }
      })();
      const s = judge.stats;
      lines.out('');
      lines.out(`  traffic  ${s.exchanges} exchange${s.exchanges === 1 ? '' : 's'} through ${url} → ${target.url}: ${s.undocumented} to undocumented operations, ${s.upstreamErrors} without an answer from the upstream, ${s.unjudged} evidence not judged (over the cap or not decodable)${behind ? `, ${behind} forwarded unjudged (the judge was behind)` : ''}${brokenOff ? `, ${brokenOff} broken off by the client (not judged)` : ''}`);
      const never = contract.operations.filter((o) => !judge.seen.has(o.operationId)).map((o) => `${o.method} ${o.path}`);
      if (never.length) lines.out(`  never seen in the traffic (not verified): ${never.join(', ')}`);
      for (const line of summaryLines(final, files)) lines.out(line);
      return final;
    })();
    stopping.then(resolveDone, rejectDone);
    return stopping;
  }
  options.signal?.addEventListener('abort', () => void stop(), { once: true });
  if (options.signal?.aborted) void stop();
  lines.out(`${TOOL.name} ${TOOL.version} — passive proxy on ${url} → ${target.url}, judging against spec ${contract.version}`);
  return { url, report, stop, done };
}
