// The raw-socket client (node:net / node:tls) for the malformed requests undici refuses (control
// characters, bad field names, obs-fold), and its strict HTTP/1.1 response parser: interim 1xx
// answers, Content-Length, de-chunking with chunk extensions and trailers, all bounded.
import net from 'node:net';
import tls from 'node:tls';
import { HarnessError, interruptedError } from './errors.js';
import type { HttpRequest, HttpResponse, Received } from './types.js';

/** What the raw client needs of a run's options. */
export interface RawOptions {
  timeoutMs: number;
  maxBodyBytes: number;
  insecure: boolean;
  signal?: AbortSignal;
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
export function sendRaw(req: HttpRequest, opts: RawOptions): Promise<Received> {
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
export const MAX_HEADER_BYTES = 64 * 1024;
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
