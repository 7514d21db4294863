// Passive judging: the exchanges a proxy forwards (app/proxy.ts), judged with the active run's
// spec, catalog, judges and redaction. An exchange is evidence for the catalog's checks whose
// request it is (the same operation, the same credential headers, query and body as the check's
// probe), else for the check of the credential it carried (no header, a configured key), else,
// for an unknown key, for the check whose documented status it got (a 401 must carry the 401's
// text); the aggregates judge it answer by answer, and the caller's side has checks of its own
// (suites/client-judges.ts). A check's result counts the exchanges judged and the offending
// ones, keeps a few findings and the first offending exchange (redacted), and is not-verified
// when the traffic never exercised it.
import type { Target } from '../core/config.js';
import type { HarnessError } from '../core/http/errors.js';
import type { HttpRequest, HttpResponse } from '../core/http/types.js';
import { containsSecret, redactDeep, registeredSecrets } from '../core/secrets.js';
import { schemaValidators, type Contract, type Operation } from '../core/spec.js';
import { buildCatalog, checkInapplicable, probeUnavailable, type Check, type Credential, type Probe, type Scope } from './catalog.js';
import { carriesCredential, clientChecks } from './client-judges.js';
import { describeCheck, describeExchange, wrongKey } from './engine.js';
import { JUDGES, clip } from './judges.js';
import { fill, keyParts, NO_KEY, type KeyParts } from './keyforms.js';
import type { Finding, CheckResult } from '../core/results.js';
import type { Answer, Exchange, JudgeContext } from './judge-types.js';

/** One exchange as the proxy saw it: the request (its body a bounded copy) and the answer (decoded within the cap), or why none came. */
export interface Observed {
  /** The request as forwarded: the upstream URL, the header lines as sent (case kept), the body's first bytes as text. */
  request: HttpRequest;
  /** The path and query the client asked for, relative to the upstream's base URL. */
  path: string;
  /** The request body was longer than the copy judged. */
  requestTruncated: boolean;
  response?: HttpResponse;
  error?: HarnessError;
}

/** A finding as it happens, for the console: whose it is, the check, and what was wrong. */
export interface PassiveEvent {
  party: 'client' | 'server';
  check: string;
  clause: string;
  level: string;
  /** "GET /directory → 401" */
  exchange: string;
  message: string;
}

interface Tally {
  judged: number;
  offending: number;
  /** Exchanges that were its evidence but could not be judged (body over the cap, not decodable, no answer), by reason. */
  unjudged: Map<string, number>;
  errors: number;
  findings: Finding[];
  moreFindings: number;
  shown?: Exchange;
  outcomes: Set<string>;
}

/** At most this many findings, and distinct observed outcomes, are kept per check. */
const MAX_FINDINGS = 5;
const MAX_OUTCOMES = 10;
/** At most this many authenticated GET answers, of at most REPLAY_BODY bytes each, are remembered for cache.no-replay. */
const REPLAY_MEMORY = 100;
const REPLAY_BODY = 16 * 1024;

const MATRIX_NAME: Record<string, string> = { none: 'missing', wrong: 'invalid', quota: 'quota', valid: 'valid', revoked: 'revoked' };

/** Requests the proxy cannot see as sent (Node's parser refuses them, or they go elsewhere): such checks need the active run. */
export function activeOnly(c: Check): boolean {
  const p = c.probe;
  if (c.sequence && c.judge !== 'no-replay') return true;
  if (!p) return false;
  if (p.plainHttp || p.path || p.unknownParams) return true;
  // Node's parser refuses control characters and a space before the colon, and trims the whitespace around a value.
  return Boolean(p.raw && (p.headers ?? []).some(([n, v]) => /[\r\n\0]/.test(v) || n !== n.trim() || v !== v.trim()));
}

/** Header names a probe of the catalog puts a credential under, in lower case. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'cookie', 'auth', 'bearer', 'x-api-key', 'authorisation']);
const KEY_PARAM = /^(api[_-]?key|key|token|access[_-]?token|auth|authorization|apikey)$/i;

/** What identifies a probe's request among others of its operation: its credential headers, credential query parameters and body. */
interface Signature {
  check: Check;
  /** Its credential header lines and credential query parameters, joined: compared whole. */
  key: string;
  exactNames: boolean;
  body?: string;
}

const headerSig = (headers: Array<[string, string]>, exact: boolean) =>
  headers.filter(([n]) => CREDENTIAL_HEADERS.has(n.toLowerCase())).map(([n, v]) => `${exact ? n : n.toLowerCase()}: ${v.trim()}`).sort();

export class PassiveJudge {
  readonly checks: Check[];
  private readonly tallies = new Map<string, Tally>();
  private readonly signatures = new Map<string, Signature[]>();
  private readonly ops: Array<{ op: Operation; re: RegExp }>;
  private readonly ctx: JudgeContext;
  private readonly scope: Scope;
  private readonly byId: Map<string, Check>;
  private readonly client: Check[];
  /** The checks that apply to this upstream (profile, https): fixed for the run. */
  private readonly applicableIds: Set<string>;
  /** GET URL → the authenticated 2xx exchange it got (cache.no-replay), oldest first. */
  private readonly authenticated = new Map<string, Exchange>();
  /** Operations seen in the traffic, by operationId. */
  readonly seen = new Set<string>();
  readonly stats = { exchanges: 0, undocumented: 0, upstreamErrors: 0, unjudged: 0 };

  constructor(
    private readonly contract: Contract,
    target: Target,
    /** The configured keys by variable name (those set). */
    private readonly keys: Record<string, string | undefined>,
    maxBodyBytes: number,
  ) {
    const clauseOf = (id: string) => {
      const c = contract.clauses.find((x) => x.id === id);
      if (!c) throw new Error(`the passive checks cite clause ${id}, which the spec does not define`);
      return c;
    };
    this.checks = [...buildCatalog(contract), ...clientChecks(clauseOf)];
    this.byId = new Map(this.checks.map((c) => [c.id, c]));
    this.scope = { target, contract, env: keys };
    this.client = this.checks.filter((c) => c.suite === 'client');
    this.applicableIds = new Set(this.checks.filter((c) => !checkInapplicable(c, this.scope)).map((c) => c.id));
    // One compiled validator per operation and status, looked up without re-serialising its schema per exchange.
    const compiled = schemaValidators(contract);
    const validators = new Map<string, ReturnType<typeof compiled>>();
    const validator = (operationId: string, status: string) => {
      const key = `${operationId} ${status}`;
      let v = validators.get(key);
      if (!v) validators.set(key, (v = compiled(operationId, status)));
      return v;
    };
    this.ctx = { contract, validator, maxBodyBytes, secrets: registeredSecrets() };
    this.ops = contract.operations.map((op) => ({ op, re: new RegExp(`^${op.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}|\{[^}]+\}/g, '[^/]+')}/?$`) }));
    for (const c of this.checks) {
      if (!c.probe || JUDGES[c.judge].aggregate || activeOnly(c) || c.suite === 'client') continue;
      const sig = this.signature(c, c.probe);
      if (sig) this.signatures.set(c.probe.operationId, [...(this.signatures.get(c.probe.operationId) ?? []), sig]);
    }
  }

  private keyOf(c: Credential): KeyParts | undefined {
    if (c === 'none') return NO_KEY;
    if (c === 'wrong') return keyParts(wrongKey(this.contract.auth));
    const v = this.keys[this.scope.target.credentials[c]];
    return v ? keyParts(v) : undefined;
  }

  /** The probe's request as the proxy would see it, or undefined when its key is not configured. */
  private signature(check: Check, p: Probe): Signature | undefined {
    const k = this.keyOf(p.credential);
    // A probe the active run would not send with these keys (its key shape is missing, say) is no request the traffic can be matched to.
    if (!k || probeUnavailable(p, this.scope)) return undefined;
    const headers: Array<[string, string]> = p.headers ? p.headers.map(([n, v]) => [n, fill(v, k)]) : p.credential !== 'none' ? [[this.contract.auth.header, k.value]] : [];
    const query = Object.entries(p.query ?? {}).map(([n, v]) => `${n}=${fill(v, k)}`).sort();
    // The letter case of a header name is the request's only when the check is about it (auth.header-name.case).
    const exactNames = check.clause.id === 'auth.header-name.case';
    return { check, key: `${headerSig(headers, exactNames).join('\n')}\0${query.join('\n')}`, exactNames, ...(p.body !== undefined && { body: fill(p.body, k) }) };
  }

  private tally(id: string): Tally {
    let t = this.tallies.get(id);
    if (!t) this.tallies.set(id, (t = { judged: 0, offending: 0, unjudged: new Map(), errors: 0, findings: [], moreFindings: 0, outcomes: new Set() }));
    return t;
  }

  private operationOf(path: string, method: string): Operation | undefined {
    const pathname = path.split('?')[0]!;
    return this.ops.find(({ op, re }) => op.method === method && re.test(pathname))?.op;
  }

  /** Which configured credential the request carries in its Authorization header. */
  private credentialOf(r: HttpRequest): Credential | 'other' {
    const values = r.headers.filter(([n]) => n.toLowerCase() === this.contract.auth.header.toLowerCase()).map(([, v]) => v.trim());
    if (!values.length) return 'none';
    if (values.length > 1) return 'other';
    for (const role of ['valid', 'quota', 'revoked'] as const) if (this.keys[this.scope.target.credentials[role]] === values[0]) return role;
    return values[0] === wrongKey(this.contract.auth) ? 'wrong' : 'other';
  }

  /** Judges one exchange; returns its findings as events, for the console. */
  judge(ex: Observed): PassiveEvent[] {
    this.stats.exchanges++;
    if (ex.error) this.stats.upstreamErrors++;
    const events: PassiveEvent[] = [];
    const r = ex.request;
    const sent = this.sentKey(r);
    const exchange: Exchange = { request: r, ...(ex.response && { response: ex.response }), ...(ex.error && { error: ex.error }), ...(sent && { sent }) };
    let masking: ((text: string) => string) | undefined;
    const mask = (text: string) => (masking ??= unknownKeyMask(r, Object.values(this.keys)))(text);
    let kept: Exchange | undefined;
    const evidence = () => (kept ??= maskExchange(exchange, mask));
    const label = `${r.method} ${ex.path.split('?')[0]}${ex.response ? ` → ${ex.response.status}` : ex.error ? ` → no answer (${ex.error.kind})` : ''}`;
    const rule = (c: Check, answers: Answer[], unjudged?: string) => {
      const t = this.tally(c.id);
      if (unjudged) {
        t.unjudged.set(unjudged, (t.unjudged.get(unjudged) ?? 0) + 1);
        this.stats.unjudged++;
        return;
      }
      const j = JUDGES[c.judge].judge(c, answers, this.ctx);
      if (j.verdict === 'error') {
        t.unjudged.set(j.reason ?? 'not judged', (t.unjudged.get(j.reason ?? 'not judged') ?? 0) + 1);
        this.stats.unjudged++;
        return;
      }
      if (j.verdict === 'not-verified') return;
      t.judged++;
      if (j.verdict === 'observed') {
        const o = j.outcome ?? '';
        if (t.outcomes.size < MAX_OUTCOMES) t.outcomes.add(mask(o));
        t.shown ??= evidence();
        return;
      }
      if (j.verdict !== 'fail') {
        t.shown ??= evidence();
        return;
      }
      if (!t.offending) t.shown = evidence();
      t.offending++;
      for (const found of j.findings) {
        const f = { ...found, message: mask(found.message) };
        if (t.findings.length < MAX_FINDINGS && !t.findings.some((x) => x.message === f.message)) t.findings.push(f);
        else t.moreFindings++;
        events.push({ party: c.suite === 'client' ? 'client' : 'server', check: c.id, clause: c.clause.id, level: c.level, exchange: mask(label), message: f.message });
      }
    };
    const answerOf = (probe: Probe): Answer => ({ probe, exchange: exchange as Answer['exchange'] });
    const synthetic = (operationId: string, credential: Credential): Probe => ({ key: `passive.${r.method} ${ex.path}`, operationId, credential });

    // The caller's side: every request, answered or not.
    for (const c of this.client) {
      if (c.judge === 'client-json-content-type' && (r.body === undefined || r.body === '')) continue;
      if (c.judge === 'client-https' && !carriesCredential(r, this.ctx.secrets)) continue;
      if (c.judge === 'client-json-content-type' && ex.requestTruncated) {
        rule(c, [], 'the request body is longer than the copy the proxy judges');
        continue;
      }
      rule(c, [answerOf(synthetic('', 'none'))]);
    }

    const op = this.operationOf(ex.path, r.method);
    if (!op) {
      this.stats.undocumented++;
      return events;
    }
    this.seen.add(op.operationId);
    const credential = this.credentialOf(r);
    const applicable = (c: Check | undefined): c is Check => c !== undefined && this.applicableIds.has(c.id);
    const res = ex.response;
    const bodyProblem = res ? (res.truncated ? `the answer's body is longer than the ${this.ctx.maxBodyBytes} bytes the proxy judges` : res.undecoded) : undefined;

    // The checks whose request this is, else the check of its credential, else of the status it got.
    const matched = this.matching(op, r).filter(applicable);
    let documented = matched;
    if (!documented.length) {
      const elsewhere = credential === 'none' && carriesCredential(r, this.ctx.secrets);
      const role: Credential | 'other' = elsewhere ? 'other' : credential;
      let id = role === 'other' ? undefined : `auth.${MATRIX_NAME[role]}.${op.operationId}`;
      if (role === 'other' && res) {
        const doc = Object.values(op.responses).find((d) => d.status === String(res.status) && d.credential && d.credential !== 'valid');
        if (doc) id = `auth.${MATRIX_NAME[doc.credential!]}.${op.operationId}`;
      }
      const c = id === undefined ? undefined : this.byId.get(id);
      documented = applicable(c) ? [c] : [];
    }
    for (const c of documented) {
      if (!res) {
        this.tally(c.id).errors++;
        continue;
      }
      rule(c, [answerOf(c.probe ?? synthetic(op.operationId, credential === 'other' ? 'wrong' : credential))], c.judge === 'documented' ? bodyProblem : undefined);
    }
    if (!res) return events;

    // The aggregates, answer by answer.
    const self = answerOf(synthetic(op.operationId, credential === 'other' ? 'wrong' : credential));
    const json = this.byId.get(`response.json.${op.operationId}`);
    if (applicable(json) && op.responses[String(res.status)]) rule(json, [self]);
    const echo = this.byId.get('security.no-credential-echo');
    if (sent && applicable(echo)) rule(echo, [self], bodyProblem);
    const no5xx = this.byId.get('security.no-5xx');
    if (applicable(no5xx) && matched.some((c) => c.group.startsWith('headers.'))) rule(no5xx, [self]);
    const authenticated = credential !== 'none' && res.status >= 200 && res.status < 300;
    const cache = this.byId.get('cache.private');
    if (authenticated && applicable(cache)) rule(cache, [self]);
    const hsts = this.byId.get('transport.hsts');
    if (applicable(hsts)) rule(hsts, [self]);
    this.replay(r, ex.path, credential, exchange, rule, synthetic(op.operationId, 'valid'));
    return events;
  }

  /** cache.no-replay, passively: an authenticated 2xx GET remembered, then the same URL without the valid key must not get it. */
  private replay(r: HttpRequest, path: string, credential: Credential | 'other', exchange: Exchange, rule: (c: Check, a: Answer[]) => void, probe: Probe): void {
    const check = this.byId.get('cache.replay');
    const res = exchange.response;
    if (r.method !== 'GET' || !check || !res || res.truncated || !this.applicableIds.has(check.id)) return;
    if (credential === 'valid' && res.status >= 200 && res.status < 300 && res.body.length <= REPLAY_BODY) {
      this.authenticated.delete(path);
      this.authenticated.set(path, exchange);
      if (this.authenticated.size > REPLAY_MEMORY) this.authenticated.delete(this.authenticated.keys().next().value!);
      return;
    }
    const first = this.authenticated.get(path);
    // A later request that carries a configured key anywhere (two Authorization lines, a key in the query) may well be served: no replay to judge.
    if (!first || credential === 'valid' || r.headers.some(([, v]) => containsSecret(v)) || containsSecret(r.url.href)) return;
    const later: Probe = { ...probe, key: `passive.${credential === 'none' ? 'none' : 'wrong'}`, credential: credential === 'none' ? 'none' : 'wrong' };
    rule(check, [{ probe, exchange: first as Answer['exchange'] }, { probe: later, exchange: exchange as Answer['exchange'] }]);
  }

  /** The key the request carries, to look for its echo: its Authorization value, else a configured key found elsewhere in it. */
  private sentKey(r: HttpRequest): KeyParts | undefined {
    const auth = r.headers.find(([n]) => n.toLowerCase() === 'authorization')?.[1].trim();
    if (auth) return keyParts(auth);
    const text = `${r.url.href}\n${r.headers.map(([, v]) => v).join('\n')}\n${r.body ?? ''}`;
    if (!containsSecret(text)) return undefined;
    const key = Object.values(this.keys).find((v) => v && containsSecret(v) && text.includes(keyParts(v).token));
    return key ? keyParts(key) : undefined;
  }

  /** The catalog's checks whose probe is this request. */
  private matching(op: Operation, r: HttpRequest): Check[] {
    const sigs = this.signatures.get(op.operationId) ?? [];
    const query = r.url.search ? [...r.url.searchParams].filter(([n, v]) => KEY_PARAM.test(n) || containsSecret(v)).map(([n, v]) => `${n}=${v}`).sort().join('\n') : '';
    const exact = `${headerSig(r.headers, true).join('\n')}\0${query}`;
    const loose = `${headerSig(r.headers, false).join('\n')}\0${query}`;
    return sigs.filter((s) => (s.exactNames ? exact : loose) === s.key && (s.body === undefined || s.body === r.body)).map((s) => s.check);
  }

  /** Every check's result so far: judged, offending, evidence; not verified where the traffic did not exercise it. */
  results(): CheckResult[] {
    return this.checks.map((c) => redactDeep(this.result(c)));
  }

  private result(c: Check): CheckResult {
    const base = { ...describeCheck(c, this.contract), durationMs: 0 };
    const inapplicable = checkInapplicable(c, this.scope);
    if (inapplicable) return { ...base, verdict: 'not-verified', reason: inapplicable.reason, cause: inapplicable.cause, category: inapplicable.category };
    const unsendable = c.probe && probeUnavailable(c.probe, this.scope);
    if (unsendable) return { ...base, verdict: 'not-verified', reason: unsendable.reason, cause: unsendable.cause, category: unsendable.category, ...(unsendable.remedy && { remedy: unsendable.remedy }) };
    if (activeOnly(c)) return { ...base, verdict: 'not-verified', reason: 'needs a request of the active run: the proxy cannot see it as sent (Node refuses it, or it goes elsewhere)', cause: 'inapplicable', category: 'active only' };
    const t = this.tallies.get(c.id);
    const unjudged = t ? [...t.unjudged.values()].reduce((a, b) => a + b, 0) : 0;
    const counts = t ? `${t.judged} exchange${t.judged === 1 ? '' : 's'} judged, ${t.offending} offending${unjudged ? `, ${unjudged} not judged` : ''}` : '';
    const evidence = t?.shown ? { exchange: describeExchange(t.shown) } : {};
    if (!t || t.judged === 0) {
      if (t?.errors) return { ...base, verdict: 'error', message: `the upstream gave no answer to the ${t.errors} exchange${t.errors > 1 ? 's' : ''} that would judge it`, outcome: counts, ...evidence };
      const op = c.operationId ? this.contract.operations.find((o) => o.operationId === c.operationId) : undefined;
      if (unjudged) return { ...base, verdict: 'not-verified', reason: `${counts}: ${[...t!.unjudged.keys()].map((k) => clip(k, 160)).join('; ')}`, cause: 'scope', category: 'not judged', remedy: 'smaller answers, or an encoding the proxy decodes (gzip, deflate, br)', outcome: counts };
      if (op && !this.seen.has(op.operationId) && c.suite !== 'client')
        return { ...base, verdict: 'not-verified', reason: `${op.method} ${op.path} was never seen in the traffic`, cause: 'scope', category: 'operation not seen', remedy: `traffic to ${op.method} ${op.path}` };
      return { ...base, verdict: 'not-verified', reason: 'no exchange of the traffic was its evidence', cause: 'scope', category: 'request not seen', remedy: 'traffic that sends its request' };
    }
    if (JUDGES[c.judge].observes) return { ...base, verdict: 'observed', outcome: `${[...t.outcomes].join(' | ')} (${counts})`, ...evidence };
    if (!t.offending) return { ...base, verdict: 'pass', outcome: counts, ...evidence };
    const more = t.moreFindings ? [`… and ${t.moreFindings} more finding${t.moreFindings > 1 ? 's' : ''}`] : [];
    return { ...base, verdict: 'fail', outcome: counts, message: [...t.findings.map((f) => f.message), ...more].join('\n'), findings: t.findings, ...evidence };
  }
}

/**
 * A credential the proxy was not configured with is still a password: before an exchange is kept
 * as evidence or a finding is printed, its forms (value, token, decoded, percent-encoded) and the
 * values of key-named query parameters become a marker. Configured keys are left to core/secrets.ts,
 * which every output passes through.
 */
function unknownKeyMask(r: HttpRequest, configured: Array<string | undefined>): (text: string) => string {
  const forms = new Set<string>();
  for (const [n, v] of r.headers) {
    if (n.toLowerCase() !== 'authorization' || configured.includes(v.trim())) continue;
    const { value, token } = keyParts(v.trim());
    const decoded = Buffer.from(token, 'base64').toString('utf8');
    for (const f of [value, token, encodeURIComponent(token), /^[\x20-\x7e]{6,}$/.test(decoded) ? decoded : '']) if (f.length >= 6) forms.add(f);
  }
  for (const [n, v] of r.url.searchParams) {
    if (!KEY_PARAM.test(n) || v.length < 6 || configured.some((k) => k && k.includes(v))) continue;
    forms.add(v);
    forms.add(encodeURIComponent(v));
  }
  const list = [...forms].sort((a, b) => b.length - a.length);
  return (text) => list.reduce((t, f) => t.split(f).join('[REDACTED:client credential]'), text);
}

function maskExchange(ex: Exchange, mask: (s: string) => string): Exchange {
  const r = ex.request;
  const masked: Exchange = { ...ex, request: { ...r, url: new URL(mask(r.url.href)), headers: r.headers.map(([n, v]) => [n, mask(v)]), ...(r.body !== undefined && { body: mask(r.body) }) } };
  if (ex.response) masked.response = { ...ex.response, body: mask(ex.response.body), headers: Object.fromEntries(Object.entries(ex.response.headers).map(([n, v]) => [mask(n), mask(v)])) };
  return masked;
}
