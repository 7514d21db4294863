// Network trouble as a HarnessError: our harness or the network failed, never a verdict about
// the target's contract. Also which hosts are loopback (a key may go there over plain http).
import net from 'node:net';
import type { HttpResponse } from './types.js';

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

export function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '');
  // Only names that cannot resolve elsewhere: *.localhost goes to DNS through getaddrinfo here.
  if (h === 'localhost' || h === '::1') return true;
  return net.isIP(h) === 4 && h.startsWith('127.');
}

export const interruptedError = () => new HarnessError('interrupted', 'the run was interrupted before this request got an answer');
