// Every check of the suite, as data: built from the spec's operations and clauses plus the
// header-variant table below. The vitest suites iterate it; so do --plan and the project tests.
import { randomBytes } from 'node:crypto';
import type { KeyRole, Target } from '../src/config.js';
import type { Clause, Contract, Level } from '../src/spec.js';
import { PROFILES, type Profile } from '../src/targets.js';

/** Which configured credential a request carries ('wrong' is a throwaway key of our own). */
export type Credential = 'valid' | 'quota' | 'revoked' | 'wrong' | 'none';

/** The key a header variant is built from: the whole header value and the token after "Basic ". */
export interface KeyParts {
  value: string;
  token: string;
}

/** One request. Probes with equal `key` are sent once per run and shared by the checks. */
export interface Probe {
  key: string;
  operationId: string;
  credential: Credential;
  /** Header lines built from the credential; default: `Authorization: <credential>` when there is one. */
  headers?: (k: KeyParts) => Array<[string, string]>;
  query?: (k: KeyParts) => Record<string, string>;
  body?: (k: KeyParts) => string;
  /** Over a raw socket: undici refuses to send it. */
  raw?: boolean;
  /** Needs an existing directory id for {dirId} (listFiles success). */
  needsDirectory?: boolean;
  /** Sent to the target's plain-http URL instead of its own (HTTPS checks). */
  plainHttp?: boolean;
}

export type Expect =
  | 'success' | 'missing' | 'invalid' | 'quota' | 'missing-or-invalid' | 'rejected' | 'observe'
  // aggregate checks, judged over several probes
  | 'json-everywhere' | 'no-echo' | 'no-5xx'
  // deployment checks (suites/deployment.conformance.ts)
  | 'plain-http-refused' | 'hsts' | 'no-replay' | 'private-cache' | 'error-shape' | 'no-key-leak';

export interface Check {
  id: string;
  group: string;
  clause: Clause;
  level: Level;
  title: string;
  expect: Expect;
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
}

export const STATUS_OF: Partial<Record<Expect, string>> = { success: '200', missing: '400', invalid: '401', quota: '403' };

export const EXPECTED_TEXT: Record<Expect, string> = {
  success: '200 with a JSON body valid against the spec',
  missing: '400 {"ok":false,"error":"Missing Authorization header"}',
  invalid: '401 {"ok":false,"error":"Invalid API key"}',
  quota: '403 {"ok":false,"error":"Quota exceeded"}',
  'missing-or-invalid': '400 "Missing Authorization header" or 401 "Invalid API key", each with its documented body',
  rejected: 'not served: a status of 400 or more (the exact status is recorded; a 5xx is judged by security.no-5xx)',
  observe: 'recorded, not judged: the conflict is written next to the clause in the spec',
  'json-everywhere': 'Content-Type application/json (parameters allowed) on every documented status',
  'no-echo': 'no answer body or header contains the credential, its token or its decoded form',
  'no-5xx': 'every answer below 500',
  'plain-http-refused': 'plain http on the same host is refused, or redirected to https; never served',
  hsts: 'a Strict-Transport-Security header with max-age > 0',
  'no-replay': 'after an authenticated 200, the same request without a key and with a wrong key is not answered with it',
  'private-cache': 'authenticated 2xx answers carry Cache-Control private or no-store, or Vary: Authorization',
  'error-shape': 'a 4xx with a JSON body {"ok":false,"error":"..."}, as the upstream API answers it',
  'no-key-leak': 'no answer contains the key the proxy injects',
};

const auth = (value: (k: KeyParts) => string) => (k: KeyParts): Array<[string, string]> => [['Authorization', value(k)]];
const named = (name: string) => (k: KeyParts): Array<[string, string]> => [[name, k.value]];

interface Variant {
  id: string;
  clause: string;
  title: string;
  expect: Expect;
  probe: Omit<Probe, 'key' | 'operationId' | 'credential'> & { operationId?: string };
}

/**
 * Header-format edge cases, grouped by the guide's troubleshooting bullets
 * (authentication-guide.txt:42-45) and its security advice (:24, :56). All are sent to the
 * guide's own test request, GET /directory (:66-71), built from the valid key.
 */
export const VARIANTS: Variant[] = [
  // Format: must start with "Basic " (note the space) — :42
  { id: 'prefix.none', clause: 'auth.prefix', title: 'the token alone, without "Basic "', expect: 'invalid', probe: { headers: auth((k) => k.token) } },
  { id: 'prefix.bearer', clause: 'auth.prefix', title: 'the Bearer scheme', expect: 'invalid', probe: { headers: auth((k) => `Bearer ${k.token}`) } },
  { id: 'prefix.token', clause: 'auth.prefix', title: 'the Token scheme', expect: 'invalid', probe: { headers: auth((k) => `Token ${k.token}`) } },
  { id: 'prefix.no-space', clause: 'auth.prefix', title: '"Basic" glued to the token', expect: 'invalid', probe: { headers: auth((k) => `Basic${k.token}`) } },
  { id: 'prefix.tab', clause: 'auth.prefix', title: 'a tab instead of the space after "Basic"', expect: 'invalid', probe: { headers: auth((k) => `Basic\t${k.token}`) } },
  { id: 'prefix.doubled', clause: 'auth.prefix', title: '"Basic " added to a value that already has it', expect: 'invalid', probe: { headers: auth((k) => `Basic ${k.value}`) } },
  { id: 'prefix.lowercase', clause: 'auth.prefix.scheme-case', title: 'the scheme as "basic"', expect: 'observe', probe: { headers: auth((k) => `basic ${k.token}`) } },
  { id: 'prefix.uppercase', clause: 'auth.prefix.scheme-case', title: 'the scheme as "BASIC"', expect: 'observe', probe: { headers: auth((k) => `BASIC ${k.token}`) } },
  // Whitespace: no extra spaces or line breaks — :44
  { id: 'whitespace.two-spaces', clause: 'auth.whitespace.extra-spaces', title: 'two spaces after "Basic"', expect: 'observe', probe: { headers: auth((k) => `Basic  ${k.token}`) } },
  { id: 'whitespace.leading-space', clause: 'auth.whitespace.ows', title: 'a space before the value', expect: 'success', probe: { raw: true, headers: auth((k) => `  ${k.value}`) } },
  { id: 'whitespace.trailing-space', clause: 'auth.whitespace.ows', title: 'spaces after the value', expect: 'success', probe: { raw: true, headers: auth((k) => `${k.value}   `) } },
  { id: 'whitespace.trailing-tab', clause: 'auth.whitespace.ows', title: 'a tab after the value', expect: 'success', probe: { raw: true, headers: auth((k) => `${k.value}\t`) } },
  { id: 'whitespace.crlf-inside', clause: 'auth.whitespace', title: 'CRLF in the middle of the token', expect: 'rejected', probe: { raw: true, headers: auth((k) => `Basic ${k.token.slice(0, 8)}\r\n${k.token.slice(8)}`) } },
  { id: 'whitespace.bare-cr', clause: 'auth.whitespace', title: 'a bare CR in the middle of the token', expect: 'rejected', probe: { raw: true, headers: auth((k) => `Basic ${k.token.slice(0, 8)}\r${k.token.slice(8)}`) } },
  { id: 'whitespace.bare-lf', clause: 'auth.whitespace', title: 'a bare LF in the middle of the token', expect: 'rejected', probe: { raw: true, headers: auth((k) => `Basic ${k.token.slice(0, 8)}\n${k.token.slice(8)}`) } },
  { id: 'whitespace.nul', clause: 'auth.whitespace', title: 'a NUL byte in the middle of the token', expect: 'rejected', probe: { raw: true, headers: auth((k) => `Basic ${k.token.slice(0, 8)}\0${k.token.slice(8)}`) } },
  { id: 'whitespace.obs-fold', clause: 'auth.whitespace.obs-fold', title: 'the value folded onto a continuation line', expect: 'observe', probe: { raw: true, headers: auth((k) => `Basic\r\n ${k.token}`) } },
  { id: 'whitespace.trailing-lf', clause: 'auth.whitespace.obs-fold', title: 'the header line ended by a bare LF', expect: 'observe', probe: { raw: true, headers: auth((k) => `${k.value}\n`) } },
  // Copying: copy the entire string — :43
  { id: 'copying.truncated', clause: 'auth.copying', title: 'the token without its last 4 characters', expect: 'invalid', probe: { headers: auth((k) => `Basic ${k.token.slice(0, -4)}`) } },
  { id: 'copying.extra-chars', clause: 'auth.copying', title: 'characters appended to the token', expect: 'invalid', probe: { headers: auth((k) => `Basic ${k.token}xyz`) } },
  { id: 'copying.token-case', clause: 'auth.copying', title: 'the token in another letter case', expect: 'invalid', probe: { headers: auth((k) => `Basic ${swapCase(k.token)}`) } },
  { id: 'copying.invalid-base64', clause: 'auth.copying', title: 'a token that is not base64', expect: 'invalid', probe: { headers: auth(() => 'Basic !!not*base64??') } },
  { id: 'copying.scheme-only', clause: 'auth.copying', title: '"Basic" with nothing after it', expect: 'invalid', probe: { headers: auth(() => 'Basic') } },
  { id: 'copying.empty', clause: 'auth.empty-credentials', title: 'an empty Authorization value', expect: 'missing-or-invalid', probe: { raw: true, headers: auth(() => '') } },
  // Header name: use "Authorization", not "Auth" or "Bearer" — :45, :54
  { id: 'name.lowercase', clause: 'auth.header-name.case', title: 'the header named "authorization"', expect: 'success', probe: { raw: true, headers: named('authorization') } },
  { id: 'name.uppercase', clause: 'auth.header-name.case', title: 'the header named "AUTHORIZATION"', expect: 'success', probe: { raw: true, headers: named('AUTHORIZATION') } },
  { id: 'name.auth', clause: 'auth.header-name', title: 'the key under "Auth"', expect: 'missing-or-invalid', probe: { headers: named('Auth') } },
  { id: 'name.bearer', clause: 'auth.header-name', title: 'the key under a header named "Bearer"', expect: 'missing-or-invalid', probe: { headers: named('Bearer') } },
  { id: 'name.x-api-key', clause: 'auth.header-name', title: 'the key under "X-API-Key"', expect: 'missing-or-invalid', probe: { headers: named('X-API-Key') } },
  { id: 'name.authorisation', clause: 'auth.header-name', title: 'the key under "Authorisation" (British spelling)', expect: 'missing-or-invalid', probe: { headers: named('Authorisation') } },
  { id: 'name.space-before-colon', clause: 'http.malformed-request', title: '"Authorization :" with a space before the colon', expect: 'rejected', probe: { raw: true, headers: named('Authorization ') } },
  { id: 'name.duplicate-valid-first', clause: 'http.duplicate-field', title: 'two Authorization lines, the valid key first', expect: 'observe', probe: { headers: (k) => [['Authorization', k.value], ['Authorization', 'Basic d3Jvbmc=']] } },
  { id: 'name.duplicate-invalid-first', clause: 'http.duplicate-field', title: 'two Authorization lines, the valid key second', expect: 'observe', probe: { headers: (k) => [['Authorization', 'Basic d3Jvbmc='], ['Authorization', k.value]] } },
  // Placement: not in URLs, GET parameters or the body — :24, :56
  ...['api_key', 'key', 'token', 'authorization'].map(
    (param): Variant => ({
      id: `placement.query-${param}`,
      clause: 'auth.placement',
      title: `the key only in the "${param}" query parameter`,
      expect: 'missing',
      probe: { headers: () => [], query: (k) => ({ [param]: param === 'authorization' ? k.value : k.token }) },
    }),
  ),
  {
    id: 'placement.body',
    clause: 'auth.placement',
    title: 'the key only in the JSON body of POST /file',
    expect: 'missing',
    probe: { operationId: 'createFile', headers: () => [['Content-Type', 'application/json']], body: (k) => JSON.stringify({ file_name: 'video.mp4', Authorization: k.value }) },
  },
  { id: 'placement.cookie', clause: 'auth.placement', title: 'the key only in a cookie', expect: 'missing', probe: { headers: (k) => [['Cookie', `Authorization=${encodeURIComponent(k.value)}`]] } },
  // Size and bytes: incorrect or malformed — :41
  { id: 'size.8k', clause: 'auth.malformed', title: 'an 8 KB token', expect: 'rejected', probe: { headers: auth(() => `Basic ${'A'.repeat(8 * 1024)}`) } },
  { id: 'size.64k', clause: 'auth.malformed', title: 'a 64 KB token', expect: 'rejected', probe: { raw: true, headers: auth(() => `Basic ${'A'.repeat(64 * 1024)}`) } },
  { id: 'bytes.non-ascii', clause: 'auth.malformed', title: 'UTF-8 bytes appended to the token', expect: 'rejected', probe: { raw: true, headers: auth((k) => `Basic ${k.token}${Buffer.from('é€', 'utf8').toString('latin1')}`) } },
];

function swapCase(s: string): string {
  return [...s].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('');
}

const OPERATION_CHECKS: Array<{ name: string; sent: string; expect: Expect; credential: Credential; status: string; clause?: string }> = [
  { name: 'missing', sent: 'no Authorization header', expect: 'missing', credential: 'none', status: '400' },
  { name: 'invalid', sent: 'a wrong key', expect: 'invalid', credential: 'wrong', status: '401' },
  { name: 'revoked', sent: 'the revoked key', expect: 'invalid', credential: 'revoked', status: '401', clause: 'auth.revoked-key' },
  { name: 'quota', sent: 'the quota-exhausted key', expect: 'quota', credential: 'quota', status: '403' },
  { name: 'valid', sent: 'the valid key', expect: 'success', credential: 'valid', status: '200' },
];

/** Builds every check for a contract. Check ids are stable: reports and baselines key on them. */
export function buildCatalog(contract: Contract): Check[] {
  const clause = (id: string): Clause => {
    const c = contract.clauses.find((x) => x.id === id);
    if (!c) throw new Error(`the suite cites clause ${id}, which the spec does not define`);
    return c;
  };
  const checks: Check[] = [];
  const opProbes = new Map<string, Probe[]>();
  for (const op of contract.operations) {
    const probes: Probe[] = [];
    for (const row of OPERATION_CHECKS) {
      const documented = op.responses[row.status];
      if (!documented) continue;
      const probe: Probe = { key: `${op.operationId}.${row.name}`, operationId: op.operationId, credential: row.credential, needsDirectory: row.name === 'valid' && op.path.includes('{dirId}') };
      probes.push(probe);
      const c = clause(row.clause ?? documented.clause);
      checks.push({ id: `auth.${row.name}.${op.operationId}`, group: 'operations', clause: c, level: c.level, title: `${op.method} ${op.path} with ${row.sent} → ${row.status}`, expect: row.expect, probe, operationId: op.operationId });
    }
    opProbes.set(op.operationId, probes);
    const json = clause('response.json');
    checks.push({ id: `response.json.${op.operationId}`, group: 'operations', clause: json, level: json.level, title: `${op.method} ${op.path}: every documented status answers application/json`, expect: 'json-everywhere', over: probes, operationId: op.operationId });
  }
  const headerProbes: Probe[] = [];
  for (const v of VARIANTS) {
    const c = clause(v.clause);
    const probe: Probe = { key: `hdr.${v.id}`, operationId: v.probe.operationId ?? 'listDirectories', credential: 'valid', ...v.probe };
    headerProbes.push(probe);
    checks.push({ id: `hdr.${v.id}`, group: `headers.${v.id.split('.')[0]}`, clause: c, level: c.level, title: v.title, expect: v.expect, probe, operationId: probe.operationId });
  }
  const echo = clause('security.no-credential-echo');
  const credentialed = [...[...opProbes.values()].flat().filter((p) => p.credential !== 'none'), ...headerProbes];
  checks.push({ id: 'security.no-credential-echo', group: 'security', clause: echo, level: echo.level, title: 'no answer contains the credential that was sent', expect: 'no-echo', over: credentialed });
  const no5xx = clause('security.no-5xx');
  checks.push({ id: 'security.no-5xx', group: 'security', clause: no5xx, level: no5xx.level, title: 'no header variant makes the server fail with a 5xx', expect: 'no-5xx', over: headerProbes });
  for (const d of deploymentChecks([...opProbes.values()].flat())) {
    const c = clause(d.clause);
    checks.push({ ...d, clause: c, level: c.level });
  }
  return checks;
}

/** Sent with the cache sequence, so that it starts from an empty cache entry on every run. */
const RUN_NONCE = randomBytes(4).toString('hex');
const KIP: readonly Profile[] = ['key-injecting-proxy'];

/**
 * Checks of the deployment in front of the API: HTTPS (authentication-guide.txt:31), caches that
 * must not replay an authenticated answer, and key-injecting backends (:28). They reuse the
 * operation probes where the request is the same, so the plan sends each request once.
 */
function deploymentChecks(opProbes: Probe[]): Array<Omit<Check, 'clause' | 'level'> & { clause: string }> {
  const probe = (key: string): Probe => {
    const p = opProbes.find((x) => x.key === key);
    if (!p) throw new Error(`the deployment checks need probe ${key}, which the spec's operations do not yield`);
    return p;
  };
  const plain: Probe = { key: 'transport.plain-http', operationId: 'listDirectories', credential: 'wrong', plainHttp: true };
  const replay = (['valid', 'none', 'wrong'] as const).map(
    (credential): Probe => ({ key: `cache.replay.${credential}`, operationId: 'listDirectories', credential, query: () => ({ conformance_run: RUN_NONCE }) }),
  );
  const keyless = probe('listDirectories.missing');
  return [
    { id: 'transport.https-only', clause: 'transport.https-only', group: 'transport', title: 'GET /directory on plain http (a throwaway key) is refused or redirected to https', expect: 'plain-http-refused', probe: plain, operationId: 'listDirectories', profiles: PROFILES, https: true },
    { id: 'transport.hsts', clause: 'transport.hsts', group: 'transport', title: 'https answers carry Strict-Transport-Security', expect: 'hsts', over: [keyless], profiles: PROFILES, https: true },
    { id: 'cache.replay', clause: 'cache.no-replay', group: 'cache', title: 'GET /directory with the valid key, then without a key, then with a wrong key: no cached replay', expect: 'no-replay', sequence: replay, operationId: 'listDirectories' },
    { id: 'cache.private', clause: 'cache.private', group: 'cache', title: 'authenticated success answers are marked private (Cache-Control or Vary)', expect: 'private-cache', over: [probe('listDirectories.valid'), keyless], profiles: PROFILES },
    { id: 'proxy.keyless', clause: 'proxy.keyless', group: 'proxy', title: 'GET /directory without a key succeeds: the backend adds it', expect: 'success', probe: keyless, operationId: 'listDirectories', profiles: KIP },
    { id: 'proxy.errors-pass-through', clause: 'proxy.errors-pass-through', group: 'proxy', title: "the upstream's error for an unknown directory arrives unchanged (JSON error body)", expect: 'error-shape', probe: probe('listFiles.missing'), operationId: 'listFiles', profiles: KIP },
    { id: 'proxy.client-authorization', clause: 'proxy.client-authorization', group: 'proxy', title: "a client's own Authorization header (a wrong key) is stripped or replaced, not forwarded", expect: 'success', probe: probe('listDirectories.invalid'), operationId: 'listDirectories', profiles: KIP },
    { id: 'proxy.key-not-exposed', clause: 'proxy.key-not-exposed', group: 'proxy', title: 'no answer carries the key the proxy injects', expect: 'no-key-leak', over: [keyless, probe('listFiles.missing'), probe('listDirectories.invalid')], profiles: KIP },
  ];
}

/** What the applicability rules need to know about a run (plain JSON; no key values). */
export interface Scope {
  target: Target;
  contract: Contract;
  env: Record<string, string | undefined>;
}

const isRole = (c: Credential): c is KeyRole => c !== 'none' && c !== 'wrong';

/** Why a check cannot apply to this target (its verdict is then not-verified), or undefined. */
export function checkInapplicable(c: Check, { target, env }: Scope): string | undefined {
  const profiles = c.profiles ?? ['direct'];
  if (!profiles.includes(target.profile)) return `applies to the ${profiles.join(' or ')} profile; the target's profile is ${target.profile}`;
  if (c.https && !target.url.startsWith('https:')) return 'applies to https targets only';
  if (c.https && c.probe?.plainHttp && !target.plainHttpUrl) return "the target's plain-http URL is not known: set plainHttpUrl for it in targets.json";
  if (c.expect === 'no-key-leak' && !env[target.credentials.valid])
    return `${target.credentials.valid} is not set: set it to the key the proxy injects, so that answers can be searched for it`;
  return undefined;
}

/** Why a probe cannot be sent with what was configured (its checks: not-verified), or undefined. */
export function probeUnavailable(p: Probe, { target, contract, env }: Scope): string | undefined {
  if (isRole(p.credential)) {
    if (target.profile === 'key-injecting-proxy') return 'under the key-injecting-proxy profile the client sends no key';
    if (p.credential === 'quota' && !target.capabilities.quotaKey) return `target ${target.name} has no quota-exhausted key (capabilities.quotaKey)`;
    if (!env[target.credentials[p.credential]]) return `${target.credentials[p.credential]} is not set`;
  }
  const op = contract.operations.find((o) => o.operationId === p.operationId);
  const authenticated = p.credential === 'valid' || target.profile === 'key-injecting-proxy';
  if (op?.writes && authenticated && !target.capabilities.writes)
    return `${op.method} ${op.path} creates resources; pass --allow-writes to send it with the valid key`;
  return undefined;
}

/** The probe whose answer gives listFiles a directory id: creating one when writes are allowed. */
export function directoryProbe(target: Target): Probe {
  return target.capabilities.writes
    ? { key: 'createDirectory.valid', operationId: 'createDirectory', credential: 'valid' }
    : { key: 'listDirectories.valid', operationId: 'listDirectories', credential: 'valid' };
}
