// Every check of the suite, as plain data: built once per run from the spec's operations and
// clauses plus the header-variant table below, then handed to --plan, --list, the vitest suites
// and the report. A check names its judge (suites/judges.ts); a probe's header values are
// templates over the key (suites/keyforms.ts), so nothing here is code that a worker must rebuild.
import { randomBytes } from 'node:crypto';
import type { Target } from '../core/config.js';
import { responseFor, roleOperation, type Clause, type Contract, type CredentialRole, type Level, type Operation, type ParameterSource } from '../core/spec.js';
import { PROFILES, type Profile, type KeyRole } from '../core/targets.js';
import { keyParts, keyShapeMissing, type KeyShape } from './keyforms.js';
import { loadChecks, type ChecksData, type DataProbe, type DeploymentCheck, type EvidenceKind } from '../core/checks.js';
import { UsageError } from '../core/errors.js';
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

/** The evidence each judge judges; a check of the data file must give its judge this kind (checked when the catalog is built). */
export const JUDGE_EVIDENCE: Record<JudgeId, EvidenceKind> = {
  documented: 'exchange', rejected: 'exchange', observe: 'exchange', 'plain-http-refused': 'exchange', 'error-shape': 'exchange', 'openapi-compare': 'exchange',
  'no-replay': 'sequence',
  'json-everywhere': 'aggregate', 'no-echo': 'aggregate', 'no-5xx': 'aggregate', hsts: 'aggregate', 'cache-headers': 'aggregate', 'no-key-leak': 'aggregate', served: 'aggregate',
  'client-header-name': 'exchange', 'client-prefix': 'exchange', 'client-placement': 'exchange', 'client-json-content-type': 'exchange', 'client-https': 'exchange',
};

/**
 * The contract's values in a data check's strings: {header}, {scheme} (-lower, -upper), {test}
 * (the test request's method and path), {test-method}, {test-path}, {body-operation},
 * {operation} (the probe's operationId), {nonce}, {repeat:C:N}. The key's own templates ({value},
 * {token}: suites/keyforms.ts) are left for when a request is sent.
 */
const CONTRACT_TEMPLATE = /\{(header(?:-lower|-upper)?|scheme(?:-lower|-upper)?|test(?:-method|-path)?|body-operation|operation|nonce|repeat:(.):(\d+))\}/gs;
/** A data request without its role: the probe names the operation itself. */
const withoutOperation = <T extends { operation?: unknown }>(r: T): Omit<T, 'operation'> => {
  const copy = { ...r };
  delete copy.operation;
  return copy;
};

function fillContract<T>(x: T, vars: Record<string, string>): T {
  if (typeof x === 'string') return x.replace(CONTRACT_TEMPLATE, (m, name: string, ch?: string, n?: string) => (ch !== undefined ? ch.repeat(Number(n)) : (vars[name] ?? m))) as T;
  if (Array.isArray(x)) return x.map((v: unknown) => fillContract(v, vars)) as T;
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, fillContract(v, vars)])) as T;
  return x;
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

/** Builds every check for a contract. Check ids are stable: reports and baselines key on them. */
export function buildCatalog(contract: Contract, data: ChecksData = loadChecks()): Check[] {
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
  // header variants (spec/checks.json): auth.prefix, auth.whitespace*, auth.copying, auth.header-name*, auth.placement, auth.malformed, http.*
  const test = roleOperation(contract, 'testRequest');
  const body = roleOperation(contract, 'bodyPlacement');
  const { header, scheme } = contract.auth;
  const base = {
    header, 'header-lower': header.toLowerCase(), 'header-upper': header.toUpperCase(),
    scheme, 'scheme-lower': scheme.toLowerCase(), 'scheme-upper': scheme.toUpperCase(),
    test: `${test.method} ${test.path}`, 'test-method': test.method, 'test-path': test.path, 'body-operation': `${body.method} ${body.path}`,
    // A nonce per catalog (one per run), so that a cache entry from an earlier run cannot answer.
    nonce: randomBytes(4).toString('hex'),
  };
  const evidenceOf = (c: { id: string; judge: string; evidence: { kind: EvidenceKind } }) => {
    const wanted = JUDGE_EVIDENCE[c.judge as JudgeId];
    if (wanted !== c.evidence.kind) throw new UsageError(`invalid checks file ${data.path}: check ${c.id} gives ${c.evidence.kind} evidence, but judge ${c.judge} judges ${wanted === 'sequence' ? 'a' : 'an'} ${wanted}`);
  };
  const headerProbes: Probe[] = [];
  for (const v of data.headerVariants) {
    evidenceOf(v);
    const op = roleOperation(contract, v.evidence.probe.operation ?? 'testRequest');
    const request = withoutOperation(fillContract(v.evidence.probe, { ...base, operation: op.operationId }));
    const probe: Probe = { key: `hdr.${v.id}`, operationId: op.operationId, credential: 'valid', ...request };
    headerProbes.push(probe);
    add({ id: `hdr.${v.id}`, suite: 'headers', group: `headers.${v.id.split('.')[0]}`, clause: v.clause, title: fillContract(v.title, base), judge: v.judge as JudgeId, ...(v.answers && { answers: v.answers }), probe, operationId: probe.operationId });
  }
  // security.no-credential-echo, security.no-5xx
  const credentialed = [...[...opProbes.values()].flat().filter((p) => p.credential !== 'none'), ...headerProbes];
  add({ id: 'security.no-credential-echo', suite: 'security', group: 'security', clause: 'security.no-credential-echo', title: 'no answer contains the credential that was sent', judge: 'no-echo', over: credentialed });
  add({ id: 'security.no-5xx', suite: 'security', group: 'security', clause: 'security.no-5xx', title: 'no header variant makes the server fail with a 5xx', judge: 'no-5xx', over: headerProbes });
  for (const d of data.deployment) {
    evidenceOf(d);
    add(deploymentCheck(d, [...opProbes.values()].flat(), contract, base));
  }
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
 * A check of the deployment in front of the API (spec/checks.json): HTTPS (authentication-guide.txt:31),
 * caches that must not replay an authenticated answer, and key-injecting backends (:28). Its
 * evidence reuses the operation probes where the request is the same (ref), so the plan sends each
 * request once.
 */
function deploymentCheck(d: DeploymentCheck, opProbes: Probe[], contract: Contract, base: Record<string, string>): Omit<Check, 'clause' | 'level'> & { clause: string } {
  const resolve = (p: DataProbe): Probe => {
    const op = roleOperation(contract, p.operation ?? 'testRequest');
    if ('ref' in p) {
      const found = opProbes.find((x) => x.key === `${op.operationId}.${p.ref}`);
      if (!found) throw new UsageError(`the deployment check ${d.id} needs probe ${op.operationId}.${p.ref}, which the spec's operations do not yield`);
      return found;
    }
    const request = withoutOperation(fillContract(p, { ...base, operation: op.operationId }));
    const { key, credential, ...rest } = request;
    return { key, operationId: op.operationId, credential, ...rest };
  };
  const e = d.evidence;
  const evidence = e.kind === 'exchange' ? { probe: resolve(e.probe) } : e.kind === 'sequence' ? { sequence: e.probes.map(resolve) } : { over: e.over.map(resolve) };
  const first = evidence.probe ?? evidence.sequence?.[0];
  return {
    suite: 'deployment',
    id: d.id,
    clause: d.clause,
    group: d.group,
    title: fillContract(d.title, base),
    judge: d.judge as JudgeId,
    ...(d.answers && { answers: d.answers }),
    ...evidence,
    ...(first && { operationId: first.operationId }),
    ...(d.profiles && { profiles: d.profiles === 'all' ? PROFILES : d.profiles }),
    ...(d.https && { https: true }),
  };
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
