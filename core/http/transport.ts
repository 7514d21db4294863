// Sends one request over a real socket: undici for requests an ordinary client can send, the
// raw-socket client (./raw.ts) for the malformed ones undici refuses. Redirects are never
// followed. Network trouble becomes a HarnessError (./errors.ts).
// The send path (Transport, one per run) bounds the requests in flight (--concurrency), keeps to
// the run's deadline, retries when no answer came (refused, or reset for a well-formed GET),
// waits out throttling (429/503: Retry-After or backoff, halving the concurrency) instead of
// taking it as an answer, and never carries a configured key over plain http to a host outside
// loopback. Its connection pool is its own: the run that made the Transport closes it.
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request as undiciRequest } from 'undici';
import { containsSecret } from '../secrets.js';
import { decodeBody } from './body.js';
import { classify, HarnessError, interruptedError, isLoopback } from './errors.js';
import { MAX_HEADER_BYTES, sendRaw } from './raw.js';
import type { HttpRequest, HttpResponse, Received } from './types.js';

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

/** The pooled connections of one Transport: one undici Agent per TLS setting, made when first needed. */
class Agents {
  private readonly pool = new Map<boolean, Agent>();
  private closed = false;

  get(insecure: boolean): Agent {
    let a = this.pool.get(insecure);
    if (!a) {
      // After close (a request still finishing): a fresh agent for it alone, never a closing one.
      a = new Agent({ connect: { rejectUnauthorized: !insecure }, keepAliveTimeout: 4_000 });
      if (!this.closed) this.pool.set(insecure, a);
    }
    return a;
  }

  async close(): Promise<void> {
    this.closed = true;
    const closing = [...this.pool.values()];
    this.pool.clear();
    await Promise.all(closing.map((a) => a.close()));
  }
}

/** Connection errors are retried this many times, after RETRY_BACKOFF_MS, then twice that. */
const RETRIES = 2;
const RETRY_BACKOFF_MS = 250;
/** A Retry-After longer than this is capped: the run waits this long, then asks again. */
const MAX_RETRY_AFTER_MS = 30_000;
/** A request throttled (429/503) this many times ends as a harness error, never as a verdict. */
export const THROTTLE_TRIES = 10;
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
  private readonly agents = new Agents();

  constructor(private readonly opts: HttpOptions) {
    this.stats = { answers: 0, waitedMs: 0, concurrency: opts.concurrency ?? 8 };
  }

  /** Closes this transport's pooled connections (the run that made it, when it ends), so the process can exit. */
  close(): Promise<void> {
    return this.agents.close();
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
      const res = req.raw ? await sendRaw(req, o) : await sendUndici(req, o, this.agents.get(o.insecure));
      const ms = Math.round(performance.now() - started);
      return { ...(await decodeBody(res, this.opts.maxBodyBytes)), ms };
    } catch (e) {
      if (this.opts.signal?.aborted) throw interruptedError();
      const h = classify(e, req.url);
      throw h.kind === 'timeout' && timeoutMs < this.opts.timeoutMs ? deadlineError() : h;
    }
  }
}

/** One request on a transport of its own, closed after it (tests). */
export async function send(req: HttpRequest, opts: HttpOptions): Promise<HttpResponse> {
  const transport = new Transport(opts);
  try {
    return await transport.send(req);
  } finally {
    await transport.close();
  }
}

async function sendUndici(req: HttpRequest, opts: HttpOptions, dispatcher: Agent): Promise<Received> {
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
    dispatcher,
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
