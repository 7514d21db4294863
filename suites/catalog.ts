// Every check of the suite, as plain data: built once per run from the spec's operations and
// clauses plus the header-variant table below, then handed to --plan, --list, the vitest suites
// and the report. A check names its judge (suites/judges.ts); a probe's header values are
// templates over the key (suites/keyforms.ts), so nothing here is code that a worker must rebuild.
import { randomBytes } from 'node:crypto';
import type { Target } from '../core/config.js';
import { responseFor, roleOperation, type AuthScheme, type Clause, type Contract, type CredentialRole, type Level, type Operation, type ParameterSource } from '../core/spec.js';
import { PROFILES, type Profile, type KeyRole } from '../core/targets.js';
import { keyParts, keyShapeMissing, type KeyShape } from './keyforms.js';
import type { GapCause } from '../core/results.js';

/** Which configured credential a request carries ('wrong' is a throwaway key of our own). */
export type Credential = KeyRole | 'wrong' | 'none';

/**
 * One request. Probes with equal `key` are sent once per run and shared by the checks. Header
 * values, query values and the body are templates: `{value}` is the whole header value of the
 * credential, `{token}` the part after "Basic ", with transforms such as `{token|swapcase}`.
 */
export interface Probe {
  key: string;
  operationId: string;
  credential: Credential;
  /** Header lines; default: `Authorization: {value}` when the probe has a credential. */
  headers?: Array<[string, string]>;
  query?: Record<string, string>;
  body?: string;
  /** Over a raw socket: undici refuses to send it. */
  raw?: boolean;
  /** Takes its path parameters from another operation's answer (the spec's links), not from their examples. */
  linked?: boolean;
  /** A path of its own instead of the operation's (sent with the operation's method): drift checks. */
  path?: string;
  /** Asks for what does not exist: every path parameter gets a value of our own, not the spec's example. */
  unknownParams?: boolean;
  /** Sent to the target's plain-http URL instead of its own (HTTPS checks). */
  plainHttp?: boolean;
  /** What it needs of the key's base64 (suites/keyforms.ts); a key without it: not sent, not verified. */
  keyShape?: KeyShape;
}

/** The judges of suites/judges.ts, by name. */
export type JudgeId =
  | 'documented' | 'rejected' | 'observe'
  | 'json-everywhere' | 'no-echo' | 'no-5xx'
  | 'plain-http-refused' | 'hsts' | 'no-replay' | 'cache-headers' | 'error-shape' | 'no-key-leak'
  | 'openapi-compare' | 'served'
  // the caller's side, judged only passively (suites/client-judges.ts)
  | 'client-header-name' | 'client-prefix' | 'client-placement' | 'client-json-content-type' | 'client-https';

/** The suite file that runs a check (suites/<suite>.conformance.ts). */
export type Suite = 'operations' | 'headers' | 'security' | 'deployment'
  // the caller's checks of the passive proxy (suites/client-judges.ts): no suite file runs them
  | 'client';

export interface Check {
  id: string;
  suite: Suite;
  group: string;
  clause: Clause;
  level: Level;
  title: string;
  judge: JudgeId;
  /** judge documented: the credentials whose documented answers (x-credential) are expected. */
  answers?: CredentialRole[];
  /** The request this check judges; aggregate checks judge `over` instead. */
  probe?: Probe;
  over?: Probe[];
  /** Probes sent one after another, in this order, inside the check (never shared). */
  sequence?: Probe[];
  operationId?: string;
  /** The target profiles it applies to (default: direct); under others it is not-verified. */
  profiles?: readonly Profile[];
  /** Applies to https targets only. */
  https?: boolean;
  /** Aggregates: the probes --skip left out of its evidence. */
  narrowed?: string[];
}

interface Variant {
  id: string;
  clause: string;
  title: string;
  judge: JudgeId;
  answers?: CredentialRole[];
  probe: Omit<Probe, 'key' | 'operationId' | 'credential'> & { operationId?: string };
}

const WRONG: CredentialRole[] = ['wrong'];
const VALID: CredentialRole[] = ['valid'];
const NONE: CredentialRole[] = ['none'];
/** Either documented answer: the request lacks the header (400) or carries a bad key (401). */
const NONE_OR_WRONG: CredentialRole[] = ['none', 'wrong'];

/** The decoded form of the throwaway user:password key of copying.user-pass. */
const USER_PASS_DECODED = 'conformance_user:conformance_password';

/**
 * Header-format edge cases, grouped by the guide's troubleshooting bullets
 * (authentication-guide.txt:42-45) and its security advice (:24, :56), over the spec's security
 * scheme (its header and scheme: Authorization, Basic). All are sent to the guide's own test
 * request (x-roles.testRequest: GET /directory, :66-71), built from the valid key.
 */
export function variants({ header: H, scheme: S }: AuthScheme, bodyPlacement: Operation): Variant[] {
  const auth = (value: string): Array<[string, string]> => [[H, value]];
  const named = (name: string): Array<[string, string]> => [[name, '{value}']];
  return [
    // auth.prefix — Format: must start with "Basic " (note the space) — :42
    { id: 'prefix.none', clause: 'auth.prefix', title: `the token alone, without "${S} "`, judge: 'documented', answers: WRONG, probe: { headers: auth('{token}') } },
    { id: 'prefix.bearer', clause: 'auth.prefix', title: 'the Bearer scheme', judge: 'documented', answers: WRONG, probe: { headers: auth('Bearer {token}') } },
    { id: 'prefix.token', clause: 'auth.prefix', title: 'the Token scheme', judge: 'documented', answers: WRONG, probe: { headers: auth('Token {token}') } },
    { id: 'prefix.no-space', clause: 'auth.prefix', title: `"${S}" glued to the token`, judge: 'documented', answers: WRONG, probe: { headers: auth(`${S}{token}`) } },
    { id: 'prefix.tab', clause: 'auth.prefix', title: `a tab instead of the space after "${S}"`, judge: 'documented', answers: WRONG, probe: { headers: auth(`${S}\t{token}`) } },
    { id: 'prefix.doubled', clause: 'auth.prefix', title: `"${S} " added to a value that already has it`, judge: 'documented', answers: WRONG, probe: { headers: auth(`${S} {value}`) } },
    // auth.prefix.scheme-case
    { id: 'prefix.lowercase', clause: 'auth.prefix.scheme-case', title: 'the scheme as "basic"', judge: 'observe', probe: { headers: auth(`${S.toLowerCase()} {token}`) } },
    { id: 'prefix.uppercase', clause: 'auth.prefix.scheme-case', title: 'the scheme as "BASIC"', judge: 'observe', probe: { headers: auth(`${S.toUpperCase()} {token}`) } },
    // auth.whitespace.* — Whitespace: no extra spaces or line breaks — :44
    { id: 'whitespace.two-spaces', clause: 'auth.whitespace.extra-spaces', title: `two spaces after "${S}"`, judge: 'observe', probe: { headers: auth(`${S}  {token}`) } },
    { id: 'whitespace.leading-space', clause: 'auth.whitespace.ows', title: 'a space before the value', judge: 'documented', answers: VALID, probe: { raw: true, headers: auth('  {value}') } },
    { id: 'whitespace.trailing-space', clause: 'auth.whitespace.ows', title: 'spaces after the value', judge: 'documented', answers: VALID, probe: { raw: true, headers: auth('{value}   ') } },
    { id: 'whitespace.trailing-tab', clause: 'auth.whitespace.ows', title: 'a tab after the value', judge: 'documented', answers: VALID, probe: { raw: true, headers: auth('{value}\t') } },
    { id: 'whitespace.crlf-inside', clause: 'auth.whitespace', title: 'CRLF in the middle of the token', judge: 'rejected', probe: { raw: true, headers: auth(`${S} {token|head:8}\r\n{token|from:8}`) } },
    { id: 'whitespace.bare-cr', clause: 'auth.whitespace', title: 'a bare CR in the middle of the token', judge: 'rejected', probe: { raw: true, headers: auth(`${S} {token|head:8}\r{token|from:8}`) } },
    { id: 'whitespace.bare-lf', clause: 'auth.whitespace', title: 'a bare LF in the middle of the token', judge: 'rejected', probe: { raw: true, headers: auth(`${S} {token|head:8}\n{token|from:8}`) } },
    { id: 'whitespace.nul', clause: 'auth.whitespace', title: 'a NUL byte in the middle of the token', judge: 'rejected', probe: { raw: true, headers: auth(`${S} {token|head:8}\0{token|from:8}`) } },
    { id: 'whitespace.obs-fold', clause: 'auth.whitespace.obs-fold', title: 'the value folded onto a continuation line', judge: 'observe', probe: { raw: true, headers: auth(`${S}\r\n {token}`) } },
    { id: 'whitespace.trailing-lf', clause: 'auth.whitespace.obs-fold', title: 'the header line ended by a bare LF', judge: 'observe', probe: { raw: true, headers: auth('{value}\n') } },
    // auth.copying — Copying: copy the entire string — :43
    { id: 'copying.truncated', clause: 'auth.copying', title: 'the token without its last 4 characters', judge: 'documented', answers: WRONG, probe: { headers: auth(`${S} {token|drop-end:4}`) } },
    { id: 'copying.extra-chars', clause: 'auth.copying', title: 'characters appended to the token', judge: 'documented', answers: WRONG, probe: { headers: auth(`${S} {token}xyz`) } },
    { id: 'copying.token-case', clause: 'auth.copying', title: 'the token in another letter case', judge: 'documented', answers: WRONG, probe: { headers: auth(`${S} {token|swapcase}`) } },
    { id: 'copying.invalid-base64', clause: 'auth.copying', title: 'a token that is not base64', judge: 'documented', answers: WRONG, probe: { headers: auth(`${S} !!not*base64??`) } },
    // Decode-then-compare servers (Basic-auth middleware) accept other base64 forms of the same bytes, and
    // user:password servers any well-formed pair: each of these is another string than the one copied.
    { id: 'copying.unpadded', clause: 'auth.copying', title: 'the token without its "=" padding (same decoded bytes)', judge: 'documented', answers: WRONG, probe: { keyShape: 'padding', headers: auth(`${S} {token|unpad}`) } },
    { id: 'copying.unused-bits', clause: 'auth.copying', title: 'the last character before the padding changed in bits the decoder drops (same decoded bytes)', judge: 'documented', answers: WRONG, probe: { keyShape: 'padding', headers: auth(`${S} {token|unused-bits}`) } },
    { id: 'copying.base64url', clause: 'auth.copying', title: 'the token in the base64url alphabet ("-" and "_" for "+" and "/")', judge: 'documented', answers: WRONG, probe: { keyShape: 'plus-slash', headers: auth(`${S} {token|base64url}`) } },
    { id: 'copying.space-inside', clause: 'auth.copying', title: 'a space inside the token, which lenient decoders skip', judge: 'documented', answers: WRONG, probe: { headers: auth(`${S} {token|head:8} {token|from:8}`) } },
    { id: 'copying.tab-inside', clause: 'auth.copying', title: 'a tab inside the token, which lenient decoders skip', judge: 'documented', answers: WRONG, probe: { headers: auth(`${S} {token|head:8}\t{token|from:8}`) } },
    { id: 'copying.reencoded', clause: 'auth.copying', title: 'the decoded key re-encoded as unpadded base64url (same decoded bytes)', judge: 'documented', answers: WRONG, probe: { keyShape: 'padding-or-plus-slash', headers: auth(`${S} {token|base64url|unpad}`) } },
    { id: 'copying.user-pass', clause: 'auth.copying', title: `a wrong key shaped base64("user:password") (${USER_PASS_DECODED})`, judge: 'documented', answers: WRONG, probe: { headers: auth(`${S} ${Buffer.from(USER_PASS_DECODED).toString('base64')}`) } },
    { id: 'copying.other-password', clause: 'auth.copying', title: "the key's user part with another password", judge: 'documented', answers: WRONG, probe: { keyShape: 'user-pass', headers: auth(`${S} {token|other-password}`) } },
    { id: 'copying.user-case', clause: 'auth.copying', title: "the key's user part in another letter case, re-encoded", judge: 'documented', answers: WRONG, probe: { keyShape: 'user-pass-cased', headers: auth(`${S} {token|user-swapcase}`) } },
    { id: 'copying.scheme-only', clause: 'auth.copying', title: `"${S}" with nothing after it`, judge: 'documented', answers: WRONG, probe: { headers: auth(S) } },
    // auth.empty-credentials
    { id: 'copying.empty', clause: 'auth.empty-credentials', title: 'an empty Authorization value', judge: 'documented', answers: NONE_OR_WRONG, probe: { raw: true, headers: auth('') } },
    // auth.header-name.case, auth.header-name — Header name: use "Authorization", not "Auth" or "Bearer" — :45, :54
    { id: 'name.lowercase', clause: 'auth.header-name.case', title: 'the header named "authorization"', judge: 'documented', answers: VALID, probe: { raw: true, headers: named(H.toLowerCase()) } },
    { id: 'name.uppercase', clause: 'auth.header-name.case', title: 'the header named "AUTHORIZATION"', judge: 'documented', answers: VALID, probe: { raw: true, headers: named(H.toUpperCase()) } },
    { id: 'name.auth', clause: 'auth.header-name', title: 'the key under "Auth"', judge: 'documented', answers: NONE_OR_WRONG, probe: { headers: named('Auth') } },
    { id: 'name.bearer', clause: 'auth.header-name', title: 'the key under a header named "Bearer"', judge: 'documented', answers: NONE_OR_WRONG, probe: { headers: named('Bearer') } },
    { id: 'name.x-api-key', clause: 'auth.header-name', title: 'the key under "X-API-Key"', judge: 'documented', answers: NONE_OR_WRONG, probe: { headers: named('X-API-Key') } },
    { id: 'name.authorisation', clause: 'auth.header-name', title: 'the key under "Authorisation" (British spelling)', judge: 'documented', answers: NONE_OR_WRONG, probe: { headers: named('Authorisation') } },
    // http.malformed-request, http.duplicate-field
    { id: 'name.space-before-colon', clause: 'http.malformed-request', title: '"Authorization :" with a space before the colon', judge: 'rejected', probe: { raw: true, headers: named(`${H} `) } },
    { id: 'name.duplicate-valid-first', clause: 'http.duplicate-field', title: 'two Authorization lines, the valid key first', judge: 'observe', probe: { headers: [[H, '{value}'], [H, `${S} d3Jvbmc=`]] } },
    { id: 'name.duplicate-invalid-first', clause: 'http.duplicate-field', title: 'two Authorization lines, the valid key second', judge: 'observe', probe: { headers: [[H, `${S} d3Jvbmc=`], [H, '{value}']] } },
    // auth.placement — not in URLs, GET parameters or the body — :24, :56
    ...['api_key', 'key', 'token', 'authorization'].map(
      (param): Variant => ({
        id: `placement.query-${param}`,
        clause: 'auth.placement',
        title: `the key only in the "${param}" query parameter`,
        judge: 'documented',
        answers: NONE,
        probe: { headers: [], query: { [param]: param === 'authorization' ? '{value}' : '{token}' } },
      }),
    ),
    {
      id: 'placement.body',
      clause: 'auth.placement',
      title: `the key only in the JSON body of ${bodyPlacement.method} ${bodyPlacement.path}`,
      judge: 'documented',
      answers: NONE,
      probe: { operationId: bodyPlacement.operationId, headers: [['Content-Type', 'application/json']], body: `{"file_name":"video.mp4","${H}":"{value|json}"}` },
    },
    { id: 'placement.cookie', clause: 'auth.placement', title: 'the key only in a cookie', judge: 'documented', answers: NONE, probe: { headers: [['Cookie', `${H}={value|uri}`]] } },
    // auth.malformed — Size and bytes: incorrect or malformed — :41
    { id: 'size.8k', clause: 'auth.malformed', title: 'an 8 KB token', judge: 'rejected', probe: { headers: auth(`${S} ${'A'.repeat(8 * 1024)}`) } },
    { id: 'size.64k', clause: 'auth.malformed', title: 'a 64 KB token', judge: 'rejected', probe: { raw: true, headers: auth(`${S} ${'A'.repeat(64 * 1024)}`) } },
    { id: 'bytes.non-ascii', clause: 'auth.malformed', title: 'UTF-8 bytes appended to the token', judge: 'rejected', probe: { raw: true, headers: auth(`${S} {token}${Buffer.from('é€', 'utf8').toString('latin1')}`) } },
  ];
}

/**
 * The auth matrix of an operation, derived from the spec: a check per documented response that
 * says which credential it answers (x-credential), plus the revoked key, which the guide does not
 * document (auth.revoked-key reads it as a wrong key).
 */
const MATRIX: Array<{ name: string; sent: string; credential: Credential; answers: CredentialRole; clause?: string }> = [
  { name: 'missing', sent: 'no Authorization header', credential: 'none', answers: 'none' },
  { name: 'invalid', sent: 'a wrong key', credential: 'wrong', answers: 'wrong' },
  { name: 'revoked', sent: 'the revoked key', credential: 'revoked', answers: 'wrong', clause: 'auth.revoked-key' },
  { name: 'quota', sent: 'the quota-exhausted key', credential: 'quota', answers: 'quota' },
  { name: 'valid', sent: 'the valid key', credential: 'valid', answers: 'valid' },
];

const KIP: readonly Profile[] = ['key-injecting-proxy'];

/** Builds every check for a contract. Check ids are stable: reports and baselines key on them. */
export function buildCatalog(contract: Contract): Check[] {
  const clause = (id: string): Clause => {
    const c = contract.clauses.find((x) => x.id === id);
    if (!c) throw new Error(`the suite cites clause ${id}, which the spec does not define`);
    return c;
  };
  const checks: Check[] = [];
  const add = (c: Omit<Check, 'clause' | 'level'> & { clause: string }) => {
    const cl = clause(c.clause);
    checks.push({ ...c, clause: cl, level: cl.level });
  };
  const opProbes = new Map<string, Probe[]>();
  for (const op of contract.operations) opProbes.set(op.operationId, operationChecks(op, add));
  // api.operations-served: over every operation's own requests (its auth matrix)
  add({ id: 'api.operations-served', suite: 'operations', group: 'operations', clause: 'api.operations-served', title: 'every documented operation is served (not 404/405/501 to each of its requests)', judge: 'served', over: [...opProbes.values()].flat() });
  // header variants: auth.prefix, auth.whitespace*, auth.copying, auth.header-name*, auth.placement, auth.malformed, http.*
  const headerProbes: Probe[] = [];
  const test = roleOperation(contract, 'testRequest');
  for (const v of variants(contract.auth, roleOperation(contract, 'bodyPlacement'))) {
    const probe: Probe = { key: `hdr.${v.id}`, operationId: v.probe.operationId ?? test.operationId, credential: 'valid', ...v.probe };
    headerProbes.push(probe);
    add({ id: `hdr.${v.id}`, suite: 'headers', group: `headers.${v.id.split('.')[0]}`, clause: v.clause, title: v.title, judge: v.judge, ...(v.answers && { answers: v.answers }), probe, operationId: probe.operationId });
  }
  // security.no-credential-echo, security.no-5xx
  const credentialed = [...[...opProbes.values()].flat().filter((p) => p.credential !== 'none'), ...headerProbes];
  add({ id: 'security.no-credential-echo', suite: 'security', group: 'security', clause: 'security.no-credential-echo', title: 'no answer contains the credential that was sent', judge: 'no-echo', over: credentialed });
  add({ id: 'security.no-5xx', suite: 'security', group: 'security', clause: 'security.no-5xx', title: 'no header variant makes the server fail with a 5xx', judge: 'no-5xx', over: headerProbes });
  for (const d of deploymentChecks([...opProbes.values()].flat(), test, roleOperation(contract, 'unknownResource'))) add(d);
  return checks;
}

/** auth.missing-header, auth.invalid-key, auth.revoked-key, auth.quota-exceeded, auth.valid-key, response.json: one operation's checks. */
function operationChecks(op: Operation, add: (c: Omit<Check, 'clause' | 'level'> & { clause: string }) => void): Probe[] {
  const probes: Probe[] = [];
  for (const row of MATRIX) {
    const documented = responseFor(op, row.answers);
    if (!documented) continue;
    const probe: Probe = { key: `${op.operationId}.${row.name}`, operationId: op.operationId, credential: row.credential, ...(row.name === 'valid' && op.sources && { linked: true }) };
    probes.push(probe);
    add({
      id: `auth.${row.name}.${op.operationId}`,
      suite: 'operations',
      group: 'operations',
      clause: row.clause ?? documented.clause,
      title: `${op.method} ${op.path} with ${row.sent} → ${documented.status}`,
      judge: 'documented',
      answers: [row.answers],
      probe,
      operationId: op.operationId,
    });
  }
  add({ id: `response.json.${op.operationId}`, suite: 'operations', group: 'operations', clause: 'response.json', title: `${op.method} ${op.path}: every documented status answers application/json`, judge: 'json-everywhere', over: probes, operationId: op.operationId });
  return probes;
}

/**
 * Checks of the deployment in front of the API: HTTPS (authentication-guide.txt:31), caches that
 * must not replay an authenticated answer, and key-injecting backends (:28). They reuse the
 * operation probes where the request is the same, so the plan sends each request once.
 */
function deploymentChecks(opProbes: Probe[], test: Operation, unknownResource: Operation): Array<Omit<Check, 'clause' | 'level'> & { clause: string }> {
  const probe = (key: string): Probe => {
    const p = opProbes.find((x) => x.key === key);
    if (!p) throw new Error(`the deployment checks need probe ${key}, which the spec's operations do not yield`);
    return p;
  };
  const T = test.operationId;
  const at = `${test.method} ${test.path}`;
  const plain: Probe = { key: 'transport.plain-http', operationId: T, credential: 'wrong', plainHttp: true };
  // A nonce per catalog (one per run), so that a cache entry from an earlier run cannot answer.
  const nonce = randomBytes(4).toString('hex');
  const replay = (['valid', 'none', 'wrong'] as const).map(
    (credential): Probe => ({ key: `cache.replay.${credential}`, operationId: T, credential, query: { conformance_run: nonce } }),
  );
  const keyless = probe(`${T}.missing`);
  const v1: Probe = { key: 'drift.v1-directory', operationId: T, credential: 'valid', path: `/v1${test.path}` };
  const openapi: Probe = { key: 'drift.openapi', operationId: T, credential: 'none', path: '/openapi.json' };
  const unknown: Probe = { key: `${unknownResource.operationId}.unknown`, operationId: unknownResource.operationId, credential: 'none', unknownParams: true };
  const deployment = { suite: 'deployment' } as const;
  return [
    { ...deployment, id: 'transport.https-only', clause: 'transport.https-only', group: 'transport', title: `${at} on plain http (a throwaway key) is refused or redirected to https`, judge: 'plain-http-refused', probe: plain, operationId: T, profiles: PROFILES, https: true },
    { ...deployment, id: 'transport.hsts', clause: 'transport.hsts', group: 'transport', title: 'https answers carry Strict-Transport-Security', judge: 'hsts', over: [keyless], profiles: PROFILES, https: true },
    { ...deployment, id: 'cache.replay', clause: 'cache.no-replay', group: 'cache', title: `${at} with the valid key, then without a key, then with a wrong key: no cached replay`, judge: 'no-replay', sequence: replay, operationId: T },
    { ...deployment, id: 'cache.private', clause: 'cache.private', group: 'cache', title: 'what authenticated success answers tell caches (Cache-Control, Vary)', judge: 'cache-headers', over: [probe(`${T}.valid`), keyless], profiles: PROFILES },
    { ...deployment, id: 'drift.v1-prefix', clause: 'drift.v1-prefix', group: 'drift', title: `${test.method} /v1${test.path} with the valid key: what the newer reference's prefix gets`, judge: 'observe', probe: v1, operationId: T },
    { ...deployment, id: 'drift.openapi-document', clause: 'drift.openapi-document', group: 'drift', title: "GET /openapi.json: the target's own OpenAPI document against the contract", judge: 'openapi-compare', probe: openapi, operationId: T, profiles: PROFILES },
    { ...deployment, id: 'proxy.keyless', clause: 'proxy.keyless', group: 'proxy', title: `${at} without a key succeeds: the backend adds it`, judge: 'documented', answers: VALID, probe: keyless, operationId: T, profiles: KIP },
    { ...deployment, id: 'proxy.errors-pass-through', clause: 'proxy.errors-pass-through', group: 'proxy', title: "the upstream's error for an unknown resource arrives unchanged (JSON error body)", judge: 'error-shape', probe: unknown, operationId: unknownResource.operationId, profiles: KIP },
    { ...deployment, id: 'proxy.client-authorization', clause: 'proxy.client-authorization', group: 'proxy', title: "a client's own Authorization header (a wrong key) is stripped or replaced, not forwarded", judge: 'documented', answers: VALID, probe: probe(`${T}.invalid`), operationId: T, profiles: KIP },
    { ...deployment, id: 'proxy.key-not-exposed', clause: 'proxy.key-not-exposed', group: 'proxy', title: 'no answer carries the key the proxy injects', judge: 'no-key-leak', over: [keyless, unknown, probe(`${T}.invalid`)], profiles: KIP },
  ];
}

/** The probes a check sends: its own, those it judges over, or its sequence. */
export const probesOf = (c: Check): Probe[] => (c.probe ? [c.probe] : (c.sequence ?? c.over ?? []));

/** What the applicability rules need to know about a run (plain JSON; no key values). */
export interface Scope {
  target: Target;
  contract: Contract;
  env: Record<string, string | undefined>;
  /** The target refused the valid key in the preflight: the line that says so. */
  keyRejected?: string;
}

const isRole = (c: Credential): c is KeyRole => c !== 'none' && c !== 'wrong';

/** Why something cannot be verified in this run: the words, the cause, and what would verify it. */
export interface Unverifiable {
  reason: string;
  cause: GapCause;
  /** quota, revoked key, valid key, writes, https, proxy, ... */
  category: string;
  remedy?: string;
}

const ROLE_CATEGORY: Record<KeyRole, string> = { valid: 'valid key', quota: 'quota', revoked: 'revoked key' };

/** Why a check cannot apply to this target (its verdict is then not-verified), or undefined. */
export function checkInapplicable(c: Check, { target, env }: Scope): Unverifiable | undefined {
  const profiles = c.profiles ?? ['direct'];
  if (!profiles.includes(target.profile))
    return { reason: `applies to the ${profiles.join(' or ')} profile; the target's profile is ${target.profile}`, cause: 'inapplicable', category: 'profile' };
  if (c.https && !target.url.startsWith('https:')) return { reason: 'applies to https targets only', cause: 'inapplicable', category: 'https' };
  if (c.https && c.probe?.plainHttp && !target.plainHttpUrl)
    return { reason: "the target's plain-http URL is not known: set plainHttpUrl for it in targets.json", cause: 'scope', category: 'https', remedy: 'plainHttpUrl in targets.json' };
  if (c.judge === 'no-key-leak' && !env[target.credentials.valid])
    return { reason: `${target.credentials.valid} is not set: set it to the key the proxy injects, so that answers can be searched for it`, cause: 'scope', category: 'proxy', remedy: target.credentials.valid };
  return undefined;
}

/** Why a probe cannot be sent with what was configured (its checks: not-verified), or undefined. */
export function probeUnavailable(p: Probe, { target, contract, env, keyRejected }: Scope): Unverifiable | undefined {
  if (isRole(p.credential)) {
    const variable = target.credentials[p.credential];
    if (target.profile === 'key-injecting-proxy') return { reason: 'under the key-injecting-proxy profile the client sends no key', cause: 'inapplicable', category: 'profile' };
    if (p.credential === 'quota' && !target.capabilities.quotaKey)
      return { reason: `target ${target.name} has no quota-exhausted key (capabilities.quotaKey)`, cause: 'scope', category: 'quota', remedy: 'capabilities.quotaKey in targets.json' };
    if (!env[variable]) return { reason: `${variable} is not set`, cause: 'scope', category: ROLE_CATEGORY[p.credential], remedy: variable };
    if (p.credential === 'valid' && keyRejected) return { reason: keyRejected, cause: 'key-rejected', category: 'valid key', remedy: variable };
  }
  if (p.keyShape && isRole(p.credential)) {
    const missing = keyShapeMissing(p.keyShape, keyParts(env[target.credentials[p.credential]]!).token);
    if (missing) return { reason: missing, cause: 'inapplicable', category: 'key shape' };
  }
  const op = contract.operations.find((o) => o.operationId === p.operationId);
  const authenticated = p.credential === 'valid' || target.profile === 'key-injecting-proxy';
  if (op?.writes && authenticated && !target.capabilities.writes)
    return { reason: `${op.method} ${op.path} creates resources; pass --allow-writes to send it with the valid key (never to a target that declares writes: false)`, cause: 'scope', category: 'writes', remedy: '--allow-writes' };
  return undefined;
}

/**
 * Where a valid probe of an operation with linked path parameters or body fields gets real values:
 * for each, the 200 answer of an operation whose spec links to it (OpenAPI `links`, or their
 * `x-request-body`), a writing one (what it creates surely exists) when the target allows writes,
 * else a reading one. A chain (directory, then a file in it, then processing that file) follows
 * from the links of each step.
 */
export function parameterSources(p: Probe, { target, contract }: Pick<Scope, 'target' | 'contract'>): Array<{ probe: Probe; source: ParameterSource }> {
  const writes = (s: ParameterSource) => contract.operations.find((o) => o.operationId === s.operationId)?.writes === true;
  const candidates = (contract.operations.find((o) => o.operationId === p.operationId)?.sources ?? []).filter((s) => target.capabilities.writes || !writes(s));
  const picked = new Map<string, ParameterSource>();
  for (const s of [...candidates.filter(writes), ...candidates.filter((x) => !writes(x))]) if (!picked.has(`${s.in ?? 'path'} ${s.parameter}`)) picked.set(`${s.in ?? 'path'} ${s.parameter}`, s);
  return [...picked.values()].map((source) => ({ probe: { key: `${source.operationId}.valid`, operationId: source.operationId, credential: 'valid', ...(sourcesOf(contract, source.operationId) && { linked: true }) }, source }));
}

const sourcesOf = (contract: Contract, operationId: string): boolean => Boolean(contract.operations.find((o) => o.operationId === operationId)?.sources?.length);
