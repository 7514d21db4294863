// The suites' few helpers, in one place: the run context, sending a probe once per run, recording
// the redacted exchange in the check's task.meta, and asserting an expectation against the spec.
import { expect, inject, type TestContext } from 'vitest';
import type { KeyRole, RunContext } from '../src/config.js';
import { HarnessError, send, type HttpRequest, type HttpResponse } from '../src/http.js';
import { addSecret, containsSecret, redactDeep } from '../src/secrets.js';
import { schemaValidators } from '../src/spec.js';
import {
  buildCatalog,
  checkInapplicable,
  directoryProbe,
  EXPECTED_TEXT,
  probeUnavailable,
  STATUS_OF,
  type Check,
  type Credential,
  type Expect,
  type KeyParts,
  type Probe,
  type Scope,
} from './catalog.js';

export const run: RunContext = inject('run');
export const checks: Check[] = buildCatalog(run.contract);
const scope: Scope = { target: run.target, contract: run.contract, env: process.env };
const validator = schemaValidators(run.contract);

/** A throwaway key of our own, well-formed but never issued. */
const WRONG_KEY = `Basic ${Buffer.from('conformance_wrong_key_0000000').toString('base64')}`;
for (const role of Object.keys(run.target.credentials) as KeyRole[]) addSecret(run.target.credentials[role], process.env[run.target.credentials[role]]);

export function credentialValue(c: Credential): string | undefined {
  if (c === 'none') return undefined;
  if (c === 'wrong') return WRONG_KEY;
  return process.env[run.target.credentials[c]];
}

export interface Exchange {
  request: HttpRequest;
  response?: HttpResponse;
  error?: HarnessError;
  /** The credential value that was sent, kept only in memory to look for echoes. */
  sent?: KeyParts;
}

/** Why a probe cannot be sent with what was configured (a not-verified verdict), or undefined. */
export const unavailable = (p: Probe): string | undefined => probeUnavailable(p, scope);

export function keyParts(value: string): KeyParts {
  return { value, token: value.replace(/^\S+\s+/, '') };
}

/** The id of a directory for {dirId}, from the answer of a probe the run sends anyway. */
async function fetchDirectoryId(): Promise<string> {
  const create = run.target.capabilities.writes;
  const ex = await exchange(directoryProbe(run.target));
  if (ex.error?.kind === 'budget') throw new NoDirectory(ex.error.message);
  if (ex.error) throw ex.error;
  const body = parseJson(ex.response!.body) as { directory?: { id?: string }; directories?: Array<{ id?: string }> } | undefined;
  const id = create ? body?.directory?.id : body?.directories?.[0]?.id;
  if (typeof id !== 'string') throw new NoDirectory(create ? `POST /directory answered ${ex.response!.status} without a directory id` : 'the account has no directory to list; pass --allow-writes to create one');
  return id;
}

export class NoDirectory extends Error {}

function buildRequest(p: Probe, dirId: string): { request: HttpRequest; sent?: KeyParts } {
  const op = run.contract.operations.find((o) => o.operationId === p.operationId);
  if (!op) throw new Error(`unknown operation ${p.operationId}`);
  const value = credentialValue(p.credential);
  const k = value ? keyParts(value) : { value: '', token: '' };
  const base = p.plainHttp ? run.target.plainHttpUrl! : run.target.url;
  const url = new URL(base + op.path.replace('{dirId}', encodeURIComponent(dirId)));
  for (const [name, v] of Object.entries(p.query?.(k) ?? {})) url.searchParams.set(name, v);
  const headers: Array<[string, string]> = p.headers ? p.headers(k) : value ? [['Authorization', value]] : [];
  let body = p.body?.(k);
  if (body === undefined && op.method === 'POST') {
    body = JSON.stringify(op.operationId === 'createFile' ? { file_name: `conformance-${Date.now()}-${Math.random().toString(36).slice(2, 8)}.mp4` } : {});
    headers.push(['Content-Type', 'application/json']);
  }
  return { request: { method: op.method, url, headers, body, raw: p.raw }, sent: value ? k : undefined };
}

const memo = new Map<string, Promise<Exchange>>();
let sentCount = run.budget?.spent ?? 0;
/** --max-requests: every attempt on the wire counts, retries and Retry-After resends included. */
const spend = () => {
  if (run.budget && sentCount >= run.budget.max) throw new HarnessError('budget', `--max-requests ${run.budget.max} was reached before this request`);
  sentCount++;
};
const sendOptions = { ...run.http, beforeAttempt: spend };

/** Sends a probe once per run; every check that judges the same probe shares the answer. */
export function exchange(p: Probe): Promise<Exchange> {
  let pending = memo.get(p.key);
  if (!pending) {
    pending = (async (): Promise<Exchange> => {
      const dirId = p.needsDirectory ? await fetchDirectoryId() : 'dir_conformance_probe';
      const { request, sent } = buildRequest(p, dirId);
      try {
        return { request, sent, response: await send(request, sendOptions) };
      } catch (e) {
        if (e instanceof HarnessError) return { request, sent, error: e };
        throw e;
      }
    })();
    memo.set(p.key, pending);
  }
  return pending;
}

/**
 * The suite files run one after another; so that their requests still share the concurrency,
 * a whole run starts every probe now, in catalog order (the order --plan lists and --max-requests
 * follows), and each check awaits its answer. A failure is the check's to report, not ours here.
 */
if (run.prefetch) for (const c of checks) if (c.probe && !unavailable(c.probe)) exchange(c.probe).catch(() => {});

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const JSON_MEDIA_TYPE = /^application\/([\w.+-]+\+)?json\s*(;|$)/i;
export const isJson = (r: HttpResponse) => JSON_MEDIA_TYPE.test(r.headers['content-type'] ?? '');

/** A short, comparable label of what the target did: "401 Invalid API key", "400 (not JSON)". */
export function outcomeOf(ex: Exchange): string {
  if (ex.error) return `error: ${ex.error.kind}`;
  const r = ex.response!;
  if (r.truncated) return `${r.status} (body truncated at ${run.http.maxBodyBytes} bytes)`;
  const body = parseJson(r.body) as { error?: unknown } | undefined;
  if (!isJson(r) || body === undefined) return `${r.status} (not JSON)`;
  return typeof body?.error === 'string' ? `${r.status} ${body.error}` : `${r.status}`;
}

export interface CheckMeta {
  id: string;
  clause: string;
  level: string;
  group: string;
  title: string;
  quote: string;
  source: string;
  expected: string;
  outcome?: string;
  exchange?: ReturnType<typeof describeExchange>;
  harnessError?: { kind: string; message: string };
  reason?: string;
}

declare module 'vitest' {
  interface ProvidedContext {
    run: RunContext;
  }
}
declare module '@vitest/runner' {
  interface TaskMeta {
    conformance?: CheckMeta;
  }
}

/** What a report keeps of an exchange: redacted, with the body cut to an excerpt. */
export function describeExchange(ex: Exchange) {
  const r = ex.response;
  return redactDeep({
    request: {
      method: ex.request.method,
      url: ex.request.url.href,
      transport: ex.request.raw ? 'raw-socket' : 'undici',
      headers: ex.request.headers.map(([k, v]) => `${k}: ${v.length > 200 ? `${v.slice(0, 200)}… (${v.length} characters)` : v}`),
    },
    response: r && {
      status: r.status,
      contentType: r.headers['content-type'] ?? null,
      body: r.body.length > 2000 ? `${r.body.slice(0, 2000)}…` : r.body,
      bodyTruncated: r.truncated,
      ms: r.ms,
    },
  });
}

/** Starts a check: declares its meta, and skips it (not-verified) when it does not apply or its probe cannot be sent. */
export function begin(check: Check, ctx: TestContext): CheckMeta {
  const meta: CheckMeta = {
    id: check.id,
    clause: check.clause.id,
    level: check.level,
    group: check.group,
    title: check.title,
    quote: check.clause.quote,
    source: check.clause.source,
    expected: EXPECTED_TEXT[check.expect],
  };
  ctx.task.meta.conformance = meta;
  const reason =
    checkInapplicable(check, scope) ??
    (check.probe ? unavailable(check.probe) : undefined) ??
    check.sequence?.map(unavailable).find(Boolean);
  if (reason) notVerified(meta, ctx, reason);
  return meta;
}

/** Records a harness failure (network, timeout, budget) and ends the check with verdict error. */
export function harnessFailed(meta: CheckMeta, e: HarnessError): never {
  meta.harnessError = { kind: e.kind, message: e.message };
  throw e;
}

/** Ends a check as not-verified with a reason. */
export function notVerified(meta: CheckMeta, ctx: TestContext, reason: string): never {
  meta.reason = reason;
  return ctx.skip(reason);
}

/**
 * Sends (or reuses) a probe for a check and records the exchange. A probe that could not be
 * sent (no directory to list, the request budget spent) ends the check as not-verified.
 */
export async function sendFor(meta: CheckMeta, ctx: TestContext, probe: Probe): Promise<Exchange> {
  let ex: Exchange;
  try {
    ex = await exchange(probe);
  } catch (e) {
    if (e instanceof NoDirectory) notVerified(meta, ctx, e.message);
    if (e instanceof HarnessError) harnessFailed(meta, e);
    throw e;
  }
  if (ex.error?.kind === 'budget') notVerified(meta, ctx, ex.error.message);
  meta.exchange = describeExchange(ex);
  meta.outcome = outcomeOf(ex);
  return ex;
}

/** Sends (or reuses) the check's probe and records what happened. */
export async function observe(check: Check, ctx: TestContext): Promise<HttpResponse> {
  const meta = begin(check, ctx);
  const ex = await sendFor(meta, ctx, check.probe!);
  if (ex.error) harnessFailed(meta, ex.error);
  return ex.response!;
}

/** Asserts a single-probe expectation against the answer, using the spec's response schemas. */
export function expectOutcome(check: Check, r: HttpResponse): void {
  const e: Expect = check.expect;
  if (e === 'observe') return;
  if (e === 'rejected') {
    expect(r.status, 'the request must not be served (expected a 4xx or 5xx status)').toBeGreaterThanOrEqual(400);
    return;
  }
  let status = STATUS_OF[e];
  if (e === 'missing-or-invalid') {
    expect([400, 401], 'status must be 400 or 401').toContain(r.status);
    status = String(r.status);
  }
  expect(String(r.status), 'status').toBe(status);
  expect(r.headers['content-type'] ?? '(none)', 'Content-Type must be application/json').toMatch(JSON_MEDIA_TYPE);
  if (r.truncated) throw new HarnessError('budget', `the body was truncated at ${run.http.maxBodyBytes} bytes, the most the suite reads, so it is not judged`);
  const body = parseJson(r.body);
  expect(body, 'the body must be JSON').not.toBeUndefined();
  const validate = validator(check.operationId!, status!);
  const valid = validate(body);
  expect(valid ? [] : validate.errors!.map((x) => `${x.instancePath || '(body)'} ${x.message}${x.params && 'allowedValue' in x.params ? ` ${JSON.stringify(x.params.allowedValue)}` : ''}`), 'the body must match the spec schema').toEqual([]);
}

export interface Answer {
  probe: Probe;
  response: HttpResponse;
  sent?: KeyParts;
}

/**
 * Judges an aggregate check over every answer of its probes: `offence` names what is wrong with
 * one answer, or returns undefined. Probes that cannot be sent with what was configured are left
 * out (none at all: not-verified). Offences fail the check; otherwise, a probe that got no
 * answer ends it with verdict error.
 */
export async function judgeAll(
  check: Check,
  ctx: TestContext,
  what: string,
  offence: (a: Answer) => string | undefined,
  /** Only answers it accepts are judged (e.g. only successes); none at all: not-verified. */
  only: (a: Answer) => boolean = () => true,
): Promise<void> {
  const meta = begin(check, ctx);
  const probes = (check.over ?? []).filter((p) => !unavailable(p));
  const settled = await Promise.all(
    probes.map(async (probe) => ({ probe, ex: await exchange(probe).catch((e: unknown) => (e instanceof NoDirectory ? undefined : Promise.reject(e))) })),
  );
  const answers: Answer[] = settled.flatMap(({ probe, ex }) => (ex?.response ? [{ probe, response: ex.response, sent: ex.sent }] : [])).filter(only);
  const failed = settled.flatMap(({ probe, ex }) => (ex?.error && ex.error.kind !== 'budget' ? [`${probe.key}: ${ex.error.message}`] : []));
  const offences = answers.flatMap((a) => offence(a) ?? []);
  meta.outcome = `${answers.length} answers judged, ${offences.length} offending${failed.length ? `, ${failed.length} without an answer` : ''}`;
  // An offence fails the check even on partial evidence; without one, missing evidence is no pass.
  expect(offences, what).toEqual([]);
  if (failed.length) harnessFailed(meta, new HarnessError('other', failed.join('; ')));
  const unsent = settled.filter(({ ex }) => ex?.error?.kind === 'budget');
  if (unsent.length) notVerified(meta, ctx, `${unsent.length} of its ${settled.length} requests were not sent: ${unsent[0]!.ex!.error!.message}`);
  if (answers.length === 0)
    notVerified(meta, ctx, settled.some(({ ex }) => ex?.response) ? 'no answer of the kind it judges' : 'none of its requests could be sent with what was configured');
}

/**
 * Whether an answer carries a credential, in its body, a header value or a header name: any form
 * of a configured key that redaction would remove (whole, token, decoded, fragments, re-cased),
 * or the token that was sent.
 */
export function leaks(r: HttpResponse, k: KeyParts): boolean {
  const text = `${r.body}\n${Object.entries(r.headers).flat().join('\n')}`;
  return containsSecret(text) || (k.token.length >= 8 && text.includes(k.token));
}
