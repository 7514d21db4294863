// The command's first requests, before any check (app/cli.ts; test/fault-runs.ts runs it in-process).
import type { Config } from '../core/config.js';
import { UsageError } from '../core/errors.js';
import { HarnessError } from '../core/http/errors.js';
import { Transport, type ThrottleStats } from '../core/http/transport.js';
import type { HttpResponse } from '../core/http/types.js';
import { errorReason, refusedKeyHint } from '../core/hints.js';
import { preflightCredential } from './plan.js';
import { isErrorEnvelope, responseFor, roleOperation, type Contract, type ErrorEnvelope } from '../core/spec.js';

/**
 * Two requests at once before any check, to the guide's own test request (x-roles.testRequest:
 * GET /directory, authentication-guide.txt:66-71): without a key — is the target reachable?
 * A target that gives no HTTP answer at all (refused, silent, not HTTP, TLS trouble) ends the run
 * with exit 2 — and with the valid key: a target that refuses the key (401, 403) is not judged on it;
 * the returned line says so, and the checks that need an accepted key are not verified.
 */
export async function preflight(config: Config, contract: Contract, env: NodeJS.ProcessEnv = process.env): Promise<{ keyRejected?: string; throttle: ThrottleStats; requests: number }> {
  const transport = new Transport(config.http);
  try {
    return await firstRequests(transport, config, contract, env);
  } finally {
    await transport.close(); // its connections are the preflight's own
  }
}

async function firstRequests(transport: Transport, config: Config, contract: Contract, env: NodeJS.ProcessEnv): Promise<{ keyRejected?: string; throttle: ThrottleStats; requests: number }> {
  const variable = preflightCredential({ target: config.target, env });
  const listing = roleOperation(contract, 'testRequest');
  const at = `${listing.method} ${listing.path}`;
  const url = new URL(`${config.target.url}${listing.path}`);
  const ask = (headers: Array<[string, string]>, to = url, method = listing.method) => transport.send({ method, url: to, headers }).then((r) => r, (e: unknown) => (e instanceof HarnessError ? e : Promise.reject(e)));
  const [reached, keyedAnswer] = await Promise.all([ask([]), variable ? ask([[contract.auth.header, env[variable]!]]) : undefined]);
  // One that answered, then broke off (or kept throttling), is reachable: the checks say the rest.
  if (reached instanceof HarnessError && reached.status === undefined) {
    const slowest = keyedAnswer && !(keyedAnswer instanceof HarnessError) ? keyedAnswer.ms : undefined;
    throw new UsageError(`cannot reach target ${config.target.url}: ${errorReason(reached, config.http.timeoutMs, slowest)}`);
  }
  const keyed = keyedAnswer instanceof HarnessError || keyedAnswer === undefined ? keyedAnswer : keyedAnswer.status;
  let requests = variable ? 2 : 1;
  // A wrong base URL: nothing there answers as the API. One more documented read (x-roles.baseUrlProbe:
  // the listing of a directory, without a key) before saying so: a server may serve some operations and not others.
  const notTheApi = notTheApiFor(contract.errorEnvelope);
  const answers = [reached, keyedAnswer].filter((a): a is HttpResponse => a !== undefined && !(a instanceof HarnessError));
  if (answers.length && answers.every(notTheApi)) {
    const probe = roleOperation(contract, 'baseUrlProbe');
    const other = probe !== listing && probe.parameters.every((p) => p.example !== undefined) ? probe : undefined;
    const path = other?.path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(other.parameters.find((p) => p.name === name)!.example!));
    const more = other && path ? await ask([], new URL(`${config.target.url}${path}`), other.method) : undefined;
    requests++;
    if (!more || (!(more instanceof HarnessError) && notTheApi(more))) {
      const seen = [...new Set([...answers, ...(more && !(more instanceof HarnessError) ? [more] : [])].map(describeAnswer))].join('; ');
      throw new UsageError(`no documented operation answers at ${config.target.url}: ${at}${other ? ` and ${other.method} ${path}` : ''} got ${seen}; is the base URL right? (the spec's paths, such as ${listing.path}, are appended to it)`);
    }
  }
  const done = { throttle: transport.stats, requests };
  const refused = typeof keyed === 'number' && [responseFor(listing, 'wrong')?.status, responseFor(listing, 'quota')?.status].includes(String(keyed));
  if (!refused) return done;
  return { ...done, keyRejected: `the target refused ${variable} (${at} answered ${keyed}): ${refusedKeyHint(env[variable!]!)}; the checks that need an accepted key are not verified` };
}

/**
 * What answers where the API is not: 404 or 405 to a documented path outside the API's own error
 * shape ({"ok":false,"error":"..."}: that is the API, answering under another prefix, say), or a
 * page of HTML that is no error.
 */
const notTheApiFor =
  (envelope: ErrorEnvelope) =>
  (r: HttpResponse): boolean =>
    ((r.status === 404 || r.status === 405) && !apiShaped(envelope, r)) || (r.status < 400 && /html/i.test(r.headers['content-type'] ?? ''));

function apiShaped(envelope: ErrorEnvelope, r: HttpResponse): boolean {
  try {
    return /json/i.test(r.headers['content-type'] ?? '') && isErrorEnvelope(envelope, JSON.parse(r.body));
  } catch {
    return false;
  }
}

const describeAnswer = (r: HttpResponse): string => `${r.status}${r.headers['content-type'] ? ` (${r.headers['content-type'].split(';')[0]})` : ''}`;
