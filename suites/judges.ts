// The one registry of judges. A judge takes the observed answers of a check and returns its
// verdict as data, with typed findings in the contract's words: what was expected, then what was
// observed. Judges send nothing and throw nothing; suites/engine.ts gathers their evidence.
import type { HttpResponse } from '../core/http/types.js';
import { decodeEscapes, type SecretFinder } from '../core/secrets.js';
import { documentedErrorTexts, responseFor, type Contract, type Operation } from '../core/spec.js';
import type { Check, JudgeId } from './catalog.js';
import { capFindings, jsonDepth, MAX_FINDINGS, MAX_JSON_DEPTH } from './bounds.js';
import { CLIENT_JUDGES } from './client-judges.js';
import type { KeyParts } from './keyforms.js';
import { describeOperation, missingOperations } from './surface.js';
import type { FindingKind, Finding } from '../core/results.js';
import type { Exchange, Answer, Judgement, JudgeContext, Judge } from './judge-types.js';

// --- reading answers -------------------------------------------------------------------------

/** A body nesting deeper than MAX_JSON_DEPTH: judged by its depth alone (parsing, validating or printing it could exhaust the stack). */
const tooDeep = (text: string): number | undefined => {
  if (text.length < 2 * MAX_JSON_DEPTH) return undefined;
  const depth = jsonDepth(text);
  return depth > MAX_JSON_DEPTH ? depth : undefined;
};

/** The parsed body, or undefined when it is not JSON or nests deeper than the suite judges (see tooDeep). */
function parseJson(text: string): unknown {
  if (tooDeep(text)) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const JSON_MEDIA_TYPE = /^application\/([\w.+-]+\+)?json\s*(;|$)/i;
const isJson = (r: Pick<HttpResponse, 'headers'>) => JSON_MEDIA_TYPE.test(r.headers['content-type'] ?? '');

export const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n)}… (${s.length} characters)` : s);

/** An answer as the contract speaks of it: the status and the compact JSON body, or the status, Content-Type and an excerpt. */
export function answerText(r: HttpResponse): string {
  const body = parseJson(r.body);
  if (isJson(r) && body !== undefined) return `${r.status} ${clip(JSON.stringify(body), 200)}`;
  const text = r.body.trim();
  return `${r.status} (${r.headers['content-type'] ? `Content-Type ${r.headers['content-type']}` : 'no Content-Type'}) ${text ? clip(JSON.stringify(text), 80) : '(empty body)'}`;
}

/** A short, comparable label of what the target did: "<status> <error text>", "400 (not JSON)". */
export function outcomeOf(ex: Exchange, maxBodyBytes: number): string {
  if (ex.error) return `error: ${ex.error.kind}`;
  const r = ex.response!;
  if (r.truncated) return `${r.status} (body truncated at ${maxBodyBytes} bytes)`;
  const body = parseJson(r.body) as { error?: unknown } | undefined;
  if (!isJson(r) || body === undefined) return `${r.status} (not JSON)`;
  return typeof body?.error === 'string' ? `${r.status} ${clip(body.error, 120)}` : `${r.status}`;
}

/** "hdr.prefix.bearer (GET /directory → 401)": which answer a finding is about. */
const answerLabel = ({ probe, exchange }: Answer): string =>
  `${probe.key} (${exchange.request.method} ${exchange.request.url.pathname} → ${exchange.response.status})`;

const pass = (shown?: Exchange, outcome?: string): Judgement => ({ verdict: 'pass', findings: [], ...(shown && { shown }), ...(outcome !== undefined && { outcome }) });
const failed = (findings: Finding[], shown?: Exchange, outcome?: string): Judgement => ({ verdict: findings.length ? 'fail' : 'pass', findings, ...(shown && { shown }), ...(outcome !== undefined && { outcome }) });

export function operationOf(contract: Contract, check: Check): Operation {
  const op = contract.operations.find((o) => o.operationId === check.operationId);
  if (!op) throw new Error(`check ${check.id} names operation ${String(check.operationId)}, which the spec does not define`);
  return op;
}

/** The value at a JSON pointer ("/directories/0/id"), for "got ..." in schema findings. */
function at(value: unknown, pointer: string): unknown {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((v, key) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), value);
}

/** An aggregate judged answer by answer: `offence` says what is wrong with one, or undefined. */
function eachAnswer(kind: FindingKind, offence: (a: Answer, ctx: JudgeContext) => string | undefined): Judge['judge'] {
  return (_check, answers, ctx) => {
    const offending = answers.flatMap((a) => {
      const what = offence(a, ctx);
      return what === undefined ? [] : [{ a, what }];
    });
    const findings = offending.map(({ a, what }): Finding => ({ kind, probe: a.probe.key, status: a.exchange.response.status, message: `${answerLabel(a)}: ${what}` }));
    return failed(findings, offending[0]?.a.exchange, `${answers.length} answers judged, ${offending.length} offending`);
  };
}

// --- the judges ----------------------------------------------------------------------------

/** A documented answer of the spec: status and body for the credentials the check names (x-credential). */
const documented: Judge = {
  expected(check, contract) {
    const op = operationOf(contract, check);
    return (check.answers ?? [])
      .map((role) => {
        const r = responseFor(op, role);
        if (!r) throw new Error(`check ${check.id}: the spec documents no answer of ${op.operationId} for credential ${role}`);
        return role === 'valid' || r.example === undefined ? `${r.status} with a JSON body valid against the spec's schema` : `${r.status} ${JSON.stringify(r.example)}`;
      })
      .join(' or ');
  },
  judge(check, [a], ctx) {
    const r = a!.exchange.response;
    const op = operationOf(ctx.contract, check);
    const expected = documented.expected(check, ctx.contract);
    const shown = a!.exchange;
    const doc = (check.answers ?? []).map((role) => responseFor(op, role)!).find((d) => d.status === String(r.status));
    const business = !doc && check.answers?.includes('valid') ? businessAnswer(op, shown, ctx) : undefined;
    if (business) return business;
    if (!doc) return failed([{ kind: 'status', status: r.status, message: `expected ${expected}, got ${answerText(r)}` }], shown);
    if (!isJson(r)) return failed([{ kind: 'content-type', status: r.status, message: `expected ${doc.status} with Content-Type application/json, got Content-Type ${r.headers['content-type'] ?? '(none)'}` }], shown);
    if (r.truncated) return { verdict: 'error', findings: [], reason: `the body is longer than ${ctx.maxBodyBytes} bytes, the most the suite reads, so it is not judged`, shown };
    if (r.undecoded) return { verdict: 'error', findings: [], reason: `the body is not judged: ${r.undecoded}`, shown };
    if (tooDeep(r.body))
      return failed([{ kind: 'schema', status: r.status, path: 'body', keyword: 'depth', message: `expected ${doc.status} with a JSON body valid against the spec's schema, got a body nested more than ${MAX_JSON_DEPTH} levels deep (no body the spec documents nests that deep)` }], shown);
    const body = parseJson(r.body);
    if (body === undefined) return failed([{ kind: 'not-json', status: r.status, message: `expected ${doc.status} with a JSON body, got ${clip(JSON.stringify(r.body), 120)}, which is not JSON` }], shown);
    const validate = ctx.validator(op.operationId, doc.status);
    if (validate(body)) return pass(shown);
    const errors = validate.errors ?? [];
    // a finding per error up to the cap, and one that counts the rest (see suites/bounds.ts)
    const findings = errors.slice(0, MAX_FINDINGS + 1).map((e): Finding => {
      const path = `body${e.instancePath.replace(/\//g, '.')}`;
      const got = at(body, e.instancePath);
      const allowed = e.keyword === 'const' ? ` ${JSON.stringify((e.params as { allowedValue?: unknown }).allowedValue)}` : '';
      const errorText = e.keyword === 'const' && e.instancePath === '/error' && doc.example !== undefined;
      return {
        kind: errorText ? 'error-text' : 'schema',
        status: r.status,
        path,
        keyword: e.keyword,
        message: errorText
          ? `expected ${doc.status} ${JSON.stringify(doc.example)}, got ${answerText(r)}`
          : `${path}: ${e.message ?? 'is invalid'}${allowed} (got ${got === undefined ? 'nothing' : clip(JSON.stringify(got), 80)})`,
      };
    });
    return failed(capFindings(findings, errors.length), shown);
  },
};

/** Statuses that speak of the request's credentials or rate, never of its input. */
const AUTH_STATUSES = new Set([401, 403, 407, 429]);

/**
 * A valid-key request that names an input (a path parameter or a request body) answered about that
 * input: a 4xx in the API's error shape ({"ok":false,"error":"..."}) whose text is none the contract
 * documents for authentication (404 "File not found", say). The authentication layer accepted the
 * key; the success shape is not verified, and the reason says what the input lacked. A documented
 * authentication error (its status and text) is no such answer: it still fails.
 */
function businessAnswer(op: Operation, shown: Exchange, ctx: JudgeContext): Judgement | undefined {
  const r = shown.response!;
  if (!op.requestBody && !op.parameters.length) return undefined;
  if (r.status < 400 || r.status >= 500 || AUTH_STATUSES.has(r.status) || !isJson(r)) return undefined;
  const body = parseJson(r.body) as { ok?: unknown; error?: unknown } | undefined;
  if (body?.ok !== false || typeof body.error !== 'string' || documentedErrorTexts(ctx.contract).includes(body.error)) return undefined;
  const input = shown.chain?.length
    ? `the request names what its setup (${shown.chain.join(' → ')}) created, and the target answered about that input: what it needs beyond the chain (a file's bytes go to an upload URL on another origin) the suite does not provide`
    : "the request names the spec's example input, which does not exist at this target";
  return {
    verdict: 'not-verified',
    findings: [],
    reason: `the authentication layer accepted the key (${answerText(r)} is none of the contract's authentication answers); the success shape is not verified: ${input}`,
    gap: { cause: 'scope', category: 'success shape', remedy: 'an input that exists at the target (see the reason)' },
    shown,
  };
}

/** Not served: any status of 400 or more (a malformed request may be refused by HTTP itself). */
const rejected: Judge = {
  closingRefuses: true,
  expected: () => 'not served: a status of 400 or more, or the connection closed without an answer while the server answers a well-formed request (the exact status is recorded; a 5xx is judged by security.no-5xx)',
  judge: (_check, [a]) => {
    const r = a!.exchange.response;
    return failed(r.status >= 400 ? [] : [{ kind: 'status', status: r.status, message: `expected a refusal (a status of 400 or more), got ${answerText(r)}` }], a!.exchange);
  },
};

/** OBSERVE: recorded and compared between runs and targets, never judged. */
const observe: Judge = {
  observes: true,
  expected: () => 'recorded, not judged: the conflict is written next to the clause in the spec',
  judge: (_check, [a]) => ({ verdict: 'observed', findings: [], shown: a!.exchange }),
};

const jsonEverywhere: Judge = {
  aggregate: true,
  expected: (check, contract) => `Content-Type application/json (parameters allowed) on every documented status (${Object.keys(operationOf(contract, check).responses).join(', ')})`,
  judge: (check, answers, ctx) => {
    const documentedStatuses = Object.keys(operationOf(ctx.contract, check).responses);
    return eachAnswer('content-type', ({ exchange: { response: r } }) =>
      documentedStatuses.includes(String(r.status)) && !isJson(r) ? `expected Content-Type application/json, got ${r.headers['content-type'] ?? '(none)'}` : undefined,
    )(check, answers, ctx);
  },
};

/**
 * Where an answer carries a credential, and in which form: its body (its Content-Encoding undone
 * by the transport), a header value or name, the status line's reason text, an interim (1xx)
 * answer's headers, a trailer, a chunk extension; in any form redaction finds (core/secrets.ts:
 * whole, token, decoded in any case, fragments, escaped, base64 or base64url at any offset or
 * line-wrapped, hex with any separator, UTF-16, zero-width characters between its letters), or
 * its decoded form cut into short pieces over several header values. "header x-echo (base64)".
 */
function echoesIn(r: HttpResponse, k: KeyParts, secrets: SecretFinder): string[] {
  const fields = (what: string, headers: Record<string, string>) =>
    Object.entries(headers).flatMap(([name, v]): Array<[string, string]> => [[`${what} name ${name}`, name], [`${what} ${name}`, v]]);
  const places: Array<[string, string]> = [
    ['the body', r.body],
    ...fields('header', r.headers),
    ...(r.reason ? [["the status line's reason text", r.reason] as [string, string]] : []),
    ...(r.interim ?? []).flatMap((i) => fields(`the interim ${i.status} answer's header`, i.headers)),
    ...fields('trailer', r.trailers ?? {}),
    ...(r.extensions ?? []).map((e): [string, string] => ['a chunk extension', e]),
  ];
  const found = places.flatMap(([where, text]) => {
    const forms = secrets.forms(text);
    if (!forms.length && k.token.length >= 8 && decodeEscapes(text).includes(k.token)) forms.push('as sent');
    return forms.length ? [`${where} (${forms.join(', ')})`] : [];
  });
  const values = Object.entries(r.headers);
  const spread = [...secrets.spread(values.map(([, v]) => v)).keys()];
  if (spread.length) found.push(`headers ${spread.map((i) => values[i]![0]).join(', ')} (short pieces spread over several headers)`);
  return found;
}

/** Why an answer's body cannot be shown free of a credential: the suite did not read it whole. */
const unread = (r: HttpResponse): string | undefined =>
  r.undecoded ? `the body cannot be shown free of the credential: ${r.undecoded}` : r.truncated ? `the body is longer than the ${r.body.length} bytes the suite reads, so it cannot be shown free of the credential` : undefined;

const noEcho: Judge = {
  aggregate: true,
  expected: () => 'no answer body or header contains the credential, its token or its decoded form',
  judge: eachAnswer('echo', ({ exchange: { response: r, sent } }, ctx) => {
    if (!sent) return undefined;
    const where = echoesIn(r, sent, ctx.secrets);
    if (where.length) return `expected no trace of the credential it was sent, found it in ${where.join(', ')}`;
    return unread(r);
  }),
};

const no5xx: Judge = {
  aggregate: true,
  expected: () => 'every answer below 500',
  judge: eachAnswer('server-error', ({ exchange: { response: r } }) => (r.status >= 500 ? `expected a status below 500, got ${answerText(r)}` : undefined)),
};

/** Whether the API itself answered (a success, or one of its JSON bodies with an `ok` field). */
function servedByApi(r: HttpResponse): boolean {
  const body = parseJson(r.body) as { ok?: unknown } | undefined;
  return r.status < 300 || (isJson(r) && typeof body?.ok === 'boolean');
}

const plainHttpRefused: Judge = {
  expected: () => 'plain http on the same host is refused, or redirected to https; never served',
  // No connection, or no answer, on plain http: the key could not have been used there.
  noAnswer: (e) => (['refused', 'reset', 'timeout'].includes(e.kind) ? { verdict: 'pass', findings: [], outcome: `not served over plain http (${e.kind})` } : undefined),
  judge: (_check, [a]) => {
    const r = a!.exchange.response;
    const shown = a!.exchange;
    if (r.status >= 300 && r.status < 400) {
      const location = r.headers.location ?? '(no Location)';
      const outcome = `${r.status} → ${location}`;
      return /^https:\/\//i.test(location) ? pass(shown, outcome) : failed([{ kind: 'redirect', status: r.status, message: `expected a redirect to https, got ${r.status} to ${location}` }], shown, outcome);
    }
    return failed(servedByApi(r) ? [{ kind: 'served-over-http', status: r.status, message: `expected plain http to be refused or redirected to https, got ${answerText(r)}: the API answers over cleartext` }] : [], shown);
  },
};

const hsts: Judge = {
  aggregate: true,
  expected: () => 'a Strict-Transport-Security header with max-age > 0',
  judge: eachAnswer('hsts', ({ exchange: { response: r } }) => {
    const maxAge = /(?:^|;)\s*max-age\s*=\s*"?(\d+)"?/i.exec(r.headers['strict-transport-security'] ?? '');
    return maxAge && Number(maxAge[1]) > 0 ? undefined : `expected Strict-Transport-Security with max-age > 0, got ${r.headers['strict-transport-security'] ?? 'no such header'}`;
  }),
};

/** In order: the authenticated answer first, so that a cache ignoring the credential has it to replay. */
const noReplay: Judge = {
  expected: () => 'after an authenticated 200, the same request without a key and with a wrong key is not answered with it',
  judge: (_check, [first, ...rest]) => {
    const auth = first!.exchange.response;
    if (auth.status >= 300)
      return { verdict: 'not-verified', findings: [], reason: `the authenticated request got ${auth.status}: no success answer that a cache could replay`, gap: { cause: 'scope', category: 'valid key' }, shown: first!.exchange };
    const findings = rest.flatMap(({ probe, exchange }): Finding[] => {
      const r = exchange.response;
      if (r.status >= 300 && r.body !== auth.body) return [];
      const age = r.headers.age !== undefined ? ` (Age: ${r.headers.age})` : '';
      const sent = probe.credential === 'none' ? 'without a key' : 'with a wrong key';
      return [{ kind: 'replay', probe: probe.key, status: r.status, message: `expected the request ${sent} to be refused, got ${answerText(r)}${age}: the authenticated answer replayed` }];
    });
    const shown = rest.find((a) => findings.some((f) => f.probe === a.probe.key))?.exchange ?? rest[0]?.exchange;
    return failed(findings, shown, findings.length ? `replayed: ${findings.map((f) => `${f.probe} ${f.status}`).join('; ')}` : 'not replayed');
  },
};

/** OBSERVE: what each authenticated 2xx answer tells caches (RFC 9111 §3.5 keeps them safe without it). */
const cacheHeaders: Judge = {
  aggregate: true,
  observes: true,
  expected: () => 'recorded, not judged: Cache-Control and Vary of authenticated 2xx answers (hardening advice: no-store or private)',
  only: ({ exchange: { response: r } }) => r.status >= 200 && r.status < 300,
  judge: (_check, answers) => ({
    verdict: 'observed',
    findings: [],
    outcome: [...new Set(answers.map(({ exchange: { response: r } }) => `Cache-Control ${r.headers['cache-control'] ?? '(none)'}; Vary ${r.headers.vary ?? '(none)'}`))].join(' | '),
    ...(answers[0] && { shown: answers[0].exchange }),
  }),
};

const errorShape: Judge = {
  expected: () => 'a 4xx with a JSON body {"ok":false,"error":"..."}, as the upstream API answers it',
  judge: (_check, [a]) => {
    const r = a!.exchange.response;
    const body = parseJson(r.body) as { ok?: unknown; error?: unknown } | undefined;
    const ok = r.status >= 400 && r.status < 500 && isJson(r) && body?.ok === false && typeof body.error === 'string';
    return failed(ok ? [] : [{ kind: 'error-shape', status: r.status, message: `expected a 4xx with a JSON body {"ok":false,"error":"..."}, got ${answerText(r)}` }], a!.exchange);
  },
};

const noKeyLeak: Judge = {
  aggregate: true,
  expected: () => 'no answer contains the key the proxy injects',
  judge: eachAnswer('key-leak', ({ exchange: { response: r } }, ctx) => {
    const where = ctx.injectedKey ? echoesIn(r, ctx.injectedKey, ctx.secrets) : [];
    return where.length ? `expected no trace of the injected key, found it in ${where.join(', ')}` : unread(r);
  }),
};

type OpenApiDoc = { openapi?: string; security?: unknown[]; paths?: Record<string, Record<string, { parameters?: Array<{ in?: string; name?: string; required?: boolean; $ref?: string }>; security?: unknown[] }>> };
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

/** How an operation of a published OpenAPI document declares Authorization. */
function authDeclaration(doc: OpenApiDoc, op: { parameters?: Array<{ in?: string; name?: string; required?: boolean; $ref?: string }>; security?: unknown[] }): string {
  const params = (op.parameters ?? []).map((x) => (x.$ref ? (atRef(doc, x.$ref) as typeof x | undefined) ?? x : x));
  const header = params.find((x) => x.in === 'header' && x.name?.toLowerCase() === 'authorization');
  if (header) return header.required ? 'required header parameter' : 'optional header parameter';
  return (op.security ?? doc.security ?? []).length ? 'security scheme' : 'not declared';
}
const atRef = (doc: unknown, ref: string): unknown => (ref.startsWith('#/') ? atPointer(doc, ref.slice(1)) : undefined);
/** The value at a JSON pointer (RFC 6901) in a parsed body, or undefined. */
export function atPointer(doc: unknown, pointer: string): unknown {
  let at = doc;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    at = at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined;
  }
  return at;
}
const listed = (items: string[]) => (items.length ? `${items.slice(0, 5).join(', ')}${items.length > 5 ? ` and ${items.length - 5} more` : ''}` : 'none');

/** OBSERVE: the target's own OpenAPI document (if it serves one) against the contract's operations and auth. */
const openapiCompare: Judge = {
  observes: true,
  expected: () => 'recorded, not judged: whether the target serves an OpenAPI document, the operations missing on either side, how its operations declare Authorization',
  judge: (_check, [a], ctx) => {
    const r = a!.exchange.response;
    const doc = parseJson(r.body) as OpenApiDoc | undefined;
    if (r.status !== 200 || !doc || typeof doc.paths !== 'object') return { verdict: 'observed', findings: [], shown: a!.exchange, outcome: `${r.status} (no OpenAPI document)` };
    const theirs = new Map<string, string>();
    for (const [path, item] of Object.entries(doc.paths ?? {}))
      for (const m of HTTP_METHODS) if (item?.[m]) theirs.set(`${m.toUpperCase()} ${path}`, authDeclaration(doc, item[m]!));
    const ours = ctx.contract.operations.map((o) => `${o.method} ${o.path}`);
    const auth = [...new Set(theirs.values())].map((d) => `${d} (${[...theirs.values()].filter((x) => x === d).length})`);
    const outcome =
      `200 OpenAPI ${doc.openapi ?? '(no version)'}; missing there: ${listed(ours.filter((o) => !theirs.has(o)))}; ` +
      `not in the contract: ${listed([...theirs.keys()].filter((o) => !ours.includes(o)))}; Authorization: ${auth.join(', ') || 'no operations'}`;
    return { verdict: 'observed', findings: [], shown: a!.exchange, outcome };
  },
};

/** api.operations-served: every documented operation is there (suites/surface.ts); one finding names those that are not. */
const served: Judge = {
  aggregate: true,
  expected: () => 'every documented operation served: not 404, 405 or 501 to every request of it, with and without a key',
  judge: (_check, answers, ctx) => {
    const missing = missingOperations(ctx.contract, answers);
    const judged = [...new Set(answers.map((a) => a.probe.operationId))];
    if (!missing.size) return pass(undefined, `${judged.length} operations served`);
    const present = judged.filter((id) => !missing.has(id));
    const narrow = present.length ? `; to check only what it serves: ${present.map((id) => `--operation ${id}`).join(' ')}` : '';
    const list = [...missing].map(([id, why]) => `${describeOperation(ctx.contract, id)}: ${why}`).join('; ');
    const message = `expected every documented operation to be served, got ${missing.size} not implemented at this target — ${list}${narrow}`;
    const shown = answers.find((a) => missing.has(a.probe.operationId))?.exchange;
    return failed([{ kind: 'not-served', message }], shown, `${missing.size} of ${judged.length} operations not implemented: ${[...missing.keys()].join(', ')}`);
  },
};

/**
 * A judge as the registry hands it out: one that throws (a harness bug, never the target's doing)
 * rules `error` instead, with the reason; its expectation says it could not be said. Judges never throw.
 */
function guarded(j: Judge): Judge {
  const why = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
  return {
    ...j,
    expected(check, contract) {
      try {
        return j.expected(check, contract);
      } catch (e) {
        return `(the judge could not say: ${why(e)})`;
      }
    },
    judge(check, answers, ctx) {
      try {
        return j.judge(check, answers, ctx);
      } catch (e) {
        return { verdict: 'error', findings: [], reason: `the check itself failed: its judge broke: ${why(e)}` };
      }
    },
  };
}

const REGISTRY: Record<JudgeId, Judge> = {
  served,
  documented,
  rejected,
  observe,
  'json-everywhere': jsonEverywhere,
  'no-echo': noEcho,
  'no-5xx': no5xx,
  'plain-http-refused': plainHttpRefused,
  hsts,
  'no-replay': noReplay,
  'cache-headers': cacheHeaders,
  'error-shape': errorShape,
  'no-key-leak': noKeyLeak,
  'openapi-compare': openapiCompare,
  ...CLIENT_JUDGES,
};
export const JUDGES = Object.fromEntries(Object.entries(REGISTRY).map(([id, j]) => [id, guarded(j)])) as Record<JudgeId, Judge>;
