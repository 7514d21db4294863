// Sends one request over a real socket: undici for requests an ordinary client can send, a raw
// node:net / node:tls socket for the malformed ones undici refuses (control characters, bad
// field names, obs-fold). Redirects are never followed. Network trouble becomes a HarnessError.
// The send path (Transport, one per run) bounds the requests in flight (--concurrency), keeps to
// the run's deadline, retries when no answer came (refused, or reset for a well-formed GET),
// waits out throttling (429/503: Retry-After or backoff, halving the concurrency) instead of
// taking it as an answer, and never carries a configured key over plain http to a host outside
// loopback.
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import tls from 'node:tls';
import zlib from 'node:zlib';
import { Agent, request as undiciRequest } from 'undici';
import { containsSecret } from './secrets.js';

export interface HttpRequest {
  method: string;
  url: URL;
  headers: Array<[string, string]>;
  body?: string;
  /** Send the bytes as written, bypassing the client's header validation. */
  raw?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  truncated: boolean;
  /** Why the body could not be read (a Content-Encoding not decoded): it is shown as received, and proves nothing. */
  undecoded?: string;
  ms: number;
  /** The status line's reason text ("OK"), when the target sent one. */
  reason?: string;
  /** Interim answers (103 Early Hints, 100 Continue) received before this one, in order. */
  interim?: Array<{ status: number; headers: Record<string, string> }>;
  /** Trailer fields after a chunked body. */
  trailers?: Record<string, string>;
  /** Chunk extensions (`;name=value` after a chunk size) of a chunked body, as sent (read on the raw-socket path). */
  extensions?: string[];
}

/** An answer as received: the body still its bytes (at most the cap), before its Content-Encoding is undone. */
export type Received = Omit<HttpResponse, 'ms'> & { bytes: Buffer };

export interface HttpOptions {
  timeoutMs: number;
  maxBodyBytes: number;
  insecure: boolean;
  /** Requests in flight at once in this process (default 8). */
  concurrency?: number;
  /** Epoch milliseconds: nothing is sent after it, and requests in flight are cut short at it. */
  deadlineAt?: number;
  /** Allow a configured key over plain http to a host outside loopback. */
  allowInsecureHttp?: boolean;
  /** The first wait after a 429/503 without Retry-After (doubled each time, with jitter); default 200 ms. */
  throttleBackoffMs?: number;
  /** Called before every attempt that goes on the wire (retries included); throws to stop it (--max-requests). */
  beforeAttempt?: () => void;
  /** The run's: aborting it cuts every request in flight and sends nothing more (an interrupted run). */
  signal?: AbortSignal;
}

export type HarnessErrorKind = 'refused' | 'dns' | 'timeout' | 'tls' | 'reset' | 'protocol' | 'budget' | 'deadline' | 'insecure' | 'throttled' | 'interrupted' | 'other';

/** Our harness or the network failed: not a verdict about the target's contract. */
export class HarnessError extends Error {
  override readonly name = 'HarnessError';
  /** The status the target had answered when its answer broke off (body stalled, reset, …). */
  status?: number;
  /** Throttled to the end: the last 429/503 answer (judged when it was that credential's own answer: suites/engine.ts). */
  response?: HttpResponse;
  constructor(
    readonly kind: HarnessErrorKind,
    message: string,
  ) {
    super(message);
  }
}

const TLS_HINT = ' (a self-signed or private certificate? pass --insecure to skip verification)';
const PLAIN_HINT = ' (the target speaks plain HTTP, not TLS? use an http:// URL)';

export function classify(e: unknown, url: URL): HarnessError {
  if (e instanceof HarnessError) return e;
  const err = e as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  // (a DOMException's `code` is a legacy number: AbortSignal.timeout() is known by its name)
  const code = [err.code, err.cause?.code, err.name].find((c): c is string => typeof c === 'string' && c !== '' && c !== 'Error') ?? '';
  const where = `${url.hostname}:${url.port || (url.protocol === 'https:' ? 443 : 80)}`;
  if (code === 'ECONNREFUSED') return new HarnessError('refused', `connection refused by ${where}`);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new HarnessError('dns', `cannot resolve host ${url.hostname}`);
  if (/TIMEOUT|AbortError|TimeoutError/i.test(code))
    return new HarnessError('timeout', `no complete answer from ${where} in time`);
  if (/WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG/i.test(code)) return new HarnessError('tls', `TLS failed with ${where}: ${code}${PLAIN_HINT}`);
  if (/CERT|SSL|TLS|SELF_SIGNED|ERR_SSL/i.test(code) || /certificate|wrong version number/i.test(err.message ?? ''))
    return new HarnessError('tls', `TLS failed with ${where}: ${code || err.message}${TLS_HINT}`);
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE')
    return new HarnessError('reset', `connection to ${where} was reset${code === 'UND_ERR_SOCKET' ? ` (${err.message})` : ''}`);
  if (/HPE_|HTTPParserError|UND_ERR_INFO|UND_ERR_RES/i.test(code)) return new HarnessError('protocol', `${where} did not answer valid HTTP (${code})`);
  // undici asserts a status of at least 100: "HTTP/1.1 000" ends there
  if (code === 'ERR_ASSERTION') return new HarnessError('protocol', `${where} did not answer valid HTTP (an invalid status line)`);
  return new HarnessError('other', `${code || 'error'}: ${String(err.message ?? e).trim().split('\n')[0]}`);
}

const agents = new Map<boolean, Agent>();
function agent(insecure: boolean): Agent {
  let a = agents.get(insecure);
  if (!a) {
    a = new Agent({ connect: { rejectUnauthorized: !insecure }, keepAliveTimeout: 4_000 });
    agents.set(insecure, a);
  }
  return a;
}

/** Closes pooled connections so the process can exit. */
export async function closeAgents(): Promise<void> {
  // Forgotten first: a run still going (the API's runs side by side) gets a new agent, never a closing one.
  const closing = [...agents.values()];
  agents.clear();
  await Promise.all(closing.map((a) => a.close()));
}

export function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '');
  // Only names that cannot resolve elsewhere: *.localhost goes to DNS through getaddrinfo here.
  if (h === 'localhost' || h === '::1') return true;
  return net.isIP(h) === 4 && h.startsWith('127.');
}

/** Connection errors are retried this many times, after RETRY_BACKOFF_MS, then twice that. */
const RETRIES = 2;
const RETRY_BACKOFF_MS = 250;
/** A Retry-After longer than this is capped: the run waits this long, then asks again. */
const MAX_RETRY_AFTER_MS = 30_000;
/** A request throttled (429/503) this many times ends as a harness error, never as a verdict. */
export const THROTTLE_TRIES = 10;

const interruptedError = () => new HarnessError('interrupted', 'the run was interrupted before this request got an answer');
/** Waits, unless the run is interrupted first. */
const pauseFor = (ms: number, signal?: AbortSignal) => sleep(ms, undefined, signal ? { signal } : {}).catch(() => {
  throw interruptedError();
});

const deadlineError = () => new HarnessError('deadline', 'the run reached its deadline (--deadline) before this request got an answer');

/** The delay a 429/503 asks for (seconds or an HTTP-date), if any. */
export function retryAfterMs(r: Pick<HttpResponse, 'status' | 'headers'>, now = Date.now()): number | undefined {
  const v = r.headers['retry-after'];
  if (!isThrottled(r) || !v) return undefined;
  const ms = /^\d+$/.test(v.trim()) ? Number(v) * 1000 : Date.parse(v) - now;
  return Number.isNaN(ms) ? undefined : Math.max(0, ms);
}

/** 429 Too Many Requests and 503 Service Unavailable: the target asks the client to slow down, not a contract outcome. */
const isThrottled = (r: Pick<HttpResponse, 'status'>): boolean => r.status === 429 || r.status === 503;

/** How a run was slowed down by its target. */
export interface ThrottleStats {
  /** 429/503 answers received (each was waited out and asked again, or ended as an error). */
  answers: number;
  /** Milliseconds during which sending was paused. */
  waitedMs: number;
  /** The concurrency the run ended with (halved after each throttled answer, at least 1). */
  concurrency: number;
}

/**
 * The send path of one run: the requests in flight (--concurrency, halved whenever the target
 * throttles), a pause that holds every request not yet on the wire (Retry-After, or an
 * exponential backoff with jitter), the deadline, the budget hook, retries when no answer came.
 */
export class Transport {
  private inFlight = 0;
  private readonly queue: Array<() => void> = [];
  private pausedUntil = 0;
  private backoffLevel = 0;
  readonly stats: ThrottleStats;

  constructor(private readonly opts: HttpOptions) {
    this.stats = { answers: 0, waitedMs: 0, concurrency: opts.concurrency ?? 8 };
  }

  /** A free place among the requests in flight. */
  private async slot(): Promise<() => void> {
    while (this.inFlight >= this.stats.concurrency) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.inFlight++;
    return () => {
      this.inFlight--;
      this.queue.shift()?.();
    };
  }

  /** Pauses every request not yet sent until `until` (epoch ms); the longest pause wins. */
  private pause(until: number): void {
    const from = Math.max(Date.now(), this.pausedUntil);
    if (until > from) this.stats.waitedMs += until - from;
    this.pausedUntil = Math.max(this.pausedUntil, until);
  }

  async send(req: HttpRequest): Promise<HttpResponse> {
    const { opts } = this;
    const deadlineAt = opts.deadlineAt ?? Infinity;
    if (req.url.protocol === 'http:' && !opts.allowInsecureHttp && !isLoopback(req.url.hostname)) {
      const text = `${req.url.href}\n${req.headers.map(([k, v]) => `${k}: ${v}`).join('\n')}\n${req.body ?? ''}`;
      if (containsSecret(text)) throw new HarnessError('insecure', `refusing to send a configured key over plain http to ${req.url.host} (--allow-insecure-http)`);
    }
    for (let failures = 0; ; failures++) {
      try {
        if (opts.signal?.aborted) throw interruptedError();
        return await this.attempt(req, deadlineAt);
      } catch (e) {
        const h = opts.signal?.aborted ? interruptedError() : classify(e, req.url);
        // Only when no answer came: refused (nothing was sent), or reset for a well-formed request that
        // is safe to repeat. A malformed (raw) request is sent once: dropping it may be the answer.
        const retryable = h.kind === 'refused' || (h.kind === 'reset' && !req.raw && (req.method === 'GET' || req.method === 'HEAD'));
        const backoff = RETRY_BACKOFF_MS * 2 ** failures;
        if (!retryable || failures >= RETRIES || Date.now() + backoff >= deadlineAt) throw h;
        await pauseFor(backoff, opts.signal);
      }
    }
  }

  /**
   * Sends the request once it has a place among those in flight and no pause holds it. A
   * throttled answer (429/503) is never returned: the whole run slows down (a pause, the
   * concurrency halved) and the request is asked again keeping its place, so that a request
   * throttled first goes first when the pause ends; after THROTTLE_TRIES it is a harness error.
   */
  private async attempt(req: HttpRequest, deadlineAt: number): Promise<HttpResponse> {
    const release = await this.slot();
    try {
      for (let throttled = 1; ; throttled++) {
        // Checked once a place is free: the requests queued behind the places wait out a pause too.
        while (this.pausedUntil > Date.now()) {
          if (this.pausedUntil >= deadlineAt) throw deadlineError();
          await pauseFor(this.pausedUntil - Date.now(), this.opts.signal);
        }
        const res = await this.once(req, deadlineAt);
        if (!isThrottled(res)) {
          this.backoffLevel = Math.max(0, this.backoffLevel - 1);
          return res;
        }
        this.stats.answers++;
        this.stats.concurrency = Math.max(1, Math.floor(this.stats.concurrency / 2));
        const asked = retryAfterMs(res);
        const backoff = (this.opts.throttleBackoffMs ?? 200) * 2 ** Math.min(this.backoffLevel++, 6);
        const wait = Math.min(asked ?? backoff * (0.5 + Math.random()), MAX_RETRY_AFTER_MS);
        const why = `${res.status}${asked !== undefined ? `, Retry-After ${res.headers['retry-after']}` : ''}`;
        if (throttled >= THROTTLE_TRIES) throw Object.assign(new HarnessError('throttled', `throttled (${why}): still refused after ${throttled} tries`), { status: res.status, response: res });
        if (Date.now() + wait >= deadlineAt) throw Object.assign(new HarnessError('throttled', `throttled (${why}): the deadline comes before the wait ends`), { status: res.status });
        this.pause(Date.now() + wait);
      }
    } finally {
      release();
    }
  }

  /** One attempt on the wire, within the timeout and the deadline; counted by the budget. */
  private async once(req: HttpRequest, deadlineAt: number): Promise<HttpResponse> {
    const remaining = deadlineAt - Date.now();
    if (remaining <= 0) throw deadlineError();
    this.opts.beforeAttempt?.();
    const timeoutMs = Math.min(this.opts.timeoutMs, remaining);
    const started = performance.now();
    try {
      const o = { ...this.opts, timeoutMs };
      const res = req.raw ? await sendRaw(req, o) : await sendUndici(req, o);
      const ms = Math.round(performance.now() - started);
      return { ...(await decodeBody(res, this.opts.maxBodyBytes)), ms };
    } catch (e) {
      if (this.opts.signal?.aborted) throw interruptedError();
      const h = classify(e, req.url);
      throw h.kind === 'timeout' && timeoutMs < this.opts.timeoutMs ? deadlineError() : h;
    }
  }
}

/** One request on a transport of its own (tests). */
export const send = (req: HttpRequest, opts: HttpOptions): Promise<HttpResponse> => new Transport(opts).send(req);

async function sendUndici(req: HttpRequest, opts: HttpOptions): Promise<Received> {
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
  const interim: NonNullable<HttpResponse['interim']> = [];
  let interimBytes = 0;
  const res = await undiciRequest(req.url, {
    onInfo: ({ statusCode, headers }) => {
      const flat = flatHeaders(headers);
      interimBytes += JSON.stringify(flat).length;
      if (interimBytes <= MAX_HEADER_BYTES) interim.push({ status: statusCode, headers: flat });
    },
    method: req.method as 'GET',
    headers: req.headers.flat(),
    body: req.body,
    dispatcher: agent(opts.insecure),
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
    signal,
  });
  if (res.statusCode > 599) {
    res.body.destroy();
    throw new HarnessError('protocol', `${req.url.host} did not answer valid HTTP (status ${res.statusCode}: three digits from 100 to 599)`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  try {
    for await (const chunk of res.body) {
      chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (size > opts.maxBodyBytes) {
        truncated = true;
        res.body.destroy();
        break;
      }
    }
  } catch (e) {
    throw Object.assign(classify(e, req.url), { status: res.statusCode });
  }
  const headers = flatHeaders(res.headers);
  const bytes = Buffer.concat(chunks).subarray(0, opts.maxBodyBytes);
  const trailers = truncated ? {} : flatHeaders(res.trailers ?? {});
  return {
    status: res.statusCode,
    headers,
    body: bytes.toString('utf8'),
    bytes,
    truncated,
    ...(res.statusText && { reason: res.statusText }),
    ...(interim.length && { interim }),
    ...(Object.keys(trailers).length && { trailers }),
  };
}

function flatHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) flat[k] = Array.isArray(v) ? v.join(', ') : (v ?? '');
  return flat;
}

/** Serialises a request exactly as given; only Host, Connection and Content-Length are added. */
function rawRequestBytes(req: HttpRequest): Buffer {
  const target = req.url.pathname + req.url.search;
  const lines = [`${req.method} ${target} HTTP/1.1`, `Host: ${req.url.host}`];
  for (const [name, value] of req.headers) lines.push(`${name}: ${value}`);
  lines.push('Connection: close');
  if (req.body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(req.body)}`);
  return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), Buffer.from(req.body ?? '')]);
}

function sendRaw(req: HttpRequest, opts: HttpOptions): Promise<Received> {
  return new Promise((resolve, reject) => {
    const port = Number(req.url.port) || (req.url.protocol === 'https:' ? 443 : 80);
    const host = req.url.hostname.replace(/^\[|\]$/g, '');
    const socket =
      req.url.protocol === 'https:'
        ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, rejectUnauthorized: !opts.insecure })
        : net.connect({ host, port });
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      fn();
    };
    const timer = setTimeout(() => finish(() => reject(new HarnessError('timeout', `no complete answer from ${req.url.host} in time`))), opts.timeoutMs);
    const onAbort = () => finish(() => reject(interruptedError()));
    if (opts.signal?.aborted) onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('close', () => opts.signal?.removeEventListener('abort', onAbort));
    socket.once(req.url.protocol === 'https:' ? 'secureConnect' : 'connect', () => socket.write(rawRequestBytes(req)));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      try {
        const capped = size > rawCap(opts.maxBodyBytes);
        const parsed = parseResponse(Buffer.concat(chunks), opts.maxBodyBytes, capped ? 'capped' : 'more');
        if (parsed) finish(() => resolve(parsed)); // with 'capped' it always answers or throws
      } catch (e) {
        finish(() => reject(e)); // not HTTP, or a broken chunked body
      }
    });
    // 'close' without 'end': a TLS peer that drops the connection without a close_notify.
    const ended = () => {
      try {
        if (size === 0) return finish(() => reject(new HarnessError('reset', `${req.url.host} closed the connection without answering`)));
        const parsed = parseResponse(Buffer.concat(chunks), opts.maxBodyBytes, 'ended');
        finish(() => (parsed ? resolve(parsed) : reject(new HarnessError('protocol', `${req.url.host} closed the connection without an HTTP answer`))));
      } catch (e) {
        finish(() => reject(e));
      }
    };
    socket.on('end', ended).on('close', ended);
    socket.on('error', (e) => {
      // A server may answer and close before reading all we sent; keep what it answered.
      const parsed = size > 0 ? safeParse(Buffer.concat(chunks), opts.maxBodyBytes) : undefined;
      finish(() => (parsed ? resolve(parsed) : reject(e)));
    });
  });
}

function safeParse(buf: Buffer, max: number) {
  try {
    return parseResponse(buf, max, 'ended');
  } catch {
    return undefined;
  }
}

/** The most bytes of one header section (and of all interim 1xx sections together). */
const MAX_HEADER_BYTES = 64 * 1024;
/** The longest chunk-size line (size, extensions) accepted in a chunked body. */
const MAX_CHUNK_LINE = 1024;
/** The most raw bytes read of one answer, chunk framing included: past it, what was decoded is kept as truncated. */
const rawCap = (maxBody: number) => 2 * maxBody + 2 * MAX_HEADER_BYTES;

const protocol = (message: string, status?: number) => Object.assign(new HarnessError('protocol', message), status === undefined ? {} : { status });
const shown = (bytes: Buffer) => JSON.stringify(bytes.subarray(0, 40).toString('latin1'));

/**
 * Parses an HTTP/1.x response, strictly: a status line of three digits from 100 to 599, interim
 * 1xx answers (100 Continue, 103 Early Hints) skipped, a bounded header section, a digits-only
 * Content-Length, hex-digits-only chunk sizes each followed by their CRLF. Returns undefined while
 * more bytes are needed. `ended`: a body without a length runs to the end of the stream; `capped`:
 * the reader stopped at rawCap, what was decoded so far is the (truncated) body. Every loop moves
 * forward through the buffer, so a hostile answer costs at most its length.
 */
export function parseResponse(buf: Buffer, maxBody: number, state: 'more' | 'ended' | 'capped'): Received | undefined {
  const ended = state !== 'more';
  let pos = 0;
  const interim: NonNullable<HttpResponse['interim']> = [];
  for (;;) {
    const rest = buf.subarray(pos);
    if (rest.length >= 5 && !rest.subarray(0, 5).toString('latin1').startsWith('HTTP/')) throw protocol(pos ? `the target sent ${shown(rest)} after an interim answer, not HTTP` : 'the target did not answer HTTP');
    const end = rest.indexOf('\r\n\r\n');
    if ((end < 0 ? rest.length : end) + pos > MAX_HEADER_BYTES) throw protocol(`the answer's header section exceeds ${MAX_HEADER_BYTES / 1024} KiB`);
    if (end < 0) {
      if (ended) throw protocol('the answer ended inside its header section');
      return undefined;
    }
    const [statusLine = '', ...lines] = rest.subarray(0, end).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] ([1-5]\d\d)(?: ([^\r\n]*))?$/.exec(statusLine);
    if (!m) throw protocol(`not a valid HTTP status line (three digits from 100 to 599): ${JSON.stringify(statusLine.slice(0, 60))}`);
    const status = Number(m[1]);
    const bodyAt = pos + end + 4;
    // An interim answer (103 Early Hints, 100 Continue): the final one follows it.
    if (status < 200 && status !== 101) {
      interim.push({ status, headers: headersOf(lines) });
      pos = bodyAt;
      continue;
    }
    const answer = finalAnswer(status, headersOf(lines), buf.subarray(bodyAt), maxBody, state);
    return answer && { ...answer, ...(m[2] && { reason: m[2] }), ...(interim.length && { interim }) };
  }
}

function headersOf(lines: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const k = line.slice(0, i).trim().toLowerCase();
    const v = line.slice(i + 1).trim();
    headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
  }
  return headers;
}

function finalAnswer(status: number, headers: Record<string, string>, raw: Buffer, maxBody: number, state: 'more' | 'ended' | 'capped'): Received | undefined {
  let body = raw;
  let complete = state === 'ended'; // a body delimited by the end of the stream
  let expected = '';
  let framing: Pick<HttpResponse, 'trailers' | 'extensions'> = {};
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const decoded = dechunk(raw, status);
    complete = decoded.done;
    expected = 'its last chunk';
    body = decoded.body;
    framing = { ...(decoded.extensions.length && { extensions: decoded.extensions }), ...(decoded.trailers && { trailers: decoded.trailers }) };
  } else if (headers['content-length'] !== undefined) {
    const lengths = new Set(headers['content-length'].split(',').map((v) => v.trim()));
    const [length] = lengths;
    if (lengths.size !== 1 || !/^\d{1,15}$/.test(length!)) throw protocol(`the answer's Content-Length is not one whole number: ${JSON.stringify(headers['content-length'].slice(0, 40))}`, status);
    const n = Number(length);
    complete = body.length >= n;
    expected = `the ${n} bytes of its Content-Length`;
    if (complete) body = body.subarray(0, n);
  } else if (status === 204 || status === 304 || status === 101) {
    complete = true;
    body = Buffer.alloc(0);
  }
  const truncated = body.length > maxBody || (state === 'capped' && !complete);
  if (!complete && !truncated) {
    if (state === 'ended') throw protocol(`the answer ended after ${body.length} body bytes, before ${expected}`, status);
    return undefined;
  }
  const bytes = body.subarray(0, maxBody);
  return { status, headers, body: bytes.toString('utf8'), bytes, truncated, ...framing };
}

const DECODERS: Record<string, () => zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress> = {
  gzip: () => zlib.createGunzip(),
  'x-gzip': () => zlib.createGunzip(),
  deflate: () => zlib.createInflate(),
  br: () => zlib.createBrotliDecompress(),
};

/** Inflates at most `max` bytes (and a little over, to know there was more): a bomb costs the cap. */
function inflate(stream: zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress, input: Buffer, max: number): Promise<{ data: Buffer; capped: boolean; error?: Error }> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let size = 0;
    let done = false;
    const end = (v: { capped: boolean; error?: Error }) => {
      if (done) return;
      done = true;
      stream.destroy();
      resolve({ data: Buffer.concat(parts), ...v });
    };
    stream.on('data', (c: Buffer) => {
      parts.push(c);
      size += c.length;
      if (size > max) end({ capped: true });
    });
    stream.on('end', () => end({ capped: false })).on('error', (error) => end({ capped: false, error }));
    stream.end(input);
  });
}

/**
 * The body as text with its Content-Encoding (gzip, deflate, br; in the order applied) undone
 * within the read cap. A body cut at the cap decodes as far as it goes and stays truncated; one
 * that cannot be decoded is shown as received with the reason (`undecoded`).
 */
export async function decodeBody(r: Received, maxBody: number): Promise<Omit<HttpResponse, 'ms'>> {
  const { bytes, ...answer } = r;
  const codings = (r.headers['content-encoding'] ?? '').split(',').map((c) => c.trim().toLowerCase()).filter((c) => c && c !== 'identity');
  if (!codings.length || !bytes.length) return answer;
  let data = bytes;
  let truncated = r.truncated;
  for (const coding of codings.reverse()) {
    const make = DECODERS[coding];
    if (!make) return { ...answer, undecoded: `its Content-Encoding ${coding} is not one the suite decodes (gzip, deflate, br)` };
    const out = await inflate(make(), data, maxBody);
    if (out.error && !truncated) return { ...answer, undecoded: `its ${coding} Content-Encoding could not be decoded (${out.error.message.split('\n')[0]})` };
    data = out.data;
    truncated ||= out.capped;
  }
  return { ...answer, body: data.subarray(0, maxBody).toString('utf8'), truncated };
}

/** Decodes a chunked body as far as it has arrived, keeping its chunk extensions and trailer fields (both bounded). */
function dechunk(buf: Buffer, status: number): { body: Buffer; done: boolean; extensions: string[]; trailers?: Record<string, string> } {
  const parts: Buffer[] = [];
  const extensions: string[] = [];
  let extensionBytes = 0;
  let pos = 0;
  for (;;) {
    const eol = buf.indexOf('\r\n', pos);
    if (eol < 0 || eol - pos > MAX_CHUNK_LINE) {
      if (buf.length - pos > MAX_CHUNK_LINE) throw protocol(`a chunk-size line of the answer is longer than ${MAX_CHUNK_LINE} bytes`, status);
      return { body: Buffer.concat(parts), done: false, extensions };
    }
    const line = buf.subarray(pos, eol).toString('latin1');
    const m = /^([0-9A-Fa-f]{1,8})[ \t]*(?:;([^\r\n]*))?$/.exec(line);
    if (!m) throw protocol(`malformed chunked body: the chunk size ${JSON.stringify(line.slice(0, 40))} is not hexadecimal digits`, status);
    if (m[2] && extensionBytes < MAX_HEADER_BYTES) {
      extensions.push(m[2]);
      extensionBytes += m[2].length;
    }
    const size = parseInt(m[1]!, 16);
    if (size === 0) {
      // the trailer section: fields up to an empty line (kept when it has arrived whole)
      const end = buf.indexOf('\r\n\r\n', eol);
      const section = end < 0 ? '' : buf.subarray(eol + 2, Math.min(end, eol + 2 + MAX_HEADER_BYTES)).toString('latin1');
      const trailers = section ? headersOf(section.split('\r\n')) : {};
      return { body: Buffer.concat(parts), done: true, extensions, ...(Object.keys(trailers).length && { trailers }) };
    }
    const data = eol + 2;
    if (buf.length < data + size) {
      parts.push(buf.subarray(data));
      return { body: Buffer.concat(parts), done: false, extensions };
    }
    parts.push(buf.subarray(data, data + size));
    if (buf.length < data + size + 2) return { body: Buffer.concat(parts), done: false, extensions };
    if (buf[data + size] !== 0x0d || buf[data + size + 1] !== 0x0a) throw protocol('malformed chunked body: a chunk is not followed by CRLF', status);
    pos = data + size + 2;
  }
}
