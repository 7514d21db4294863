// `--plan`: every request a run would send, built from the catalog with the same rules the suites
// apply (catalog.ts: checkInapplicable, probeUnavailable, parameterSources). Probes with the same key
// are sent once, so each is listed once with every check it serves. Nothing is sent.
import { checkInapplicable, parameterSources, probeUnavailable, type Check, type Probe, type Scope } from '../suites/catalog.js';
import type { Config } from '../core/config.js';
import { roleOperation, type Contract } from '../core/spec.js';
import { DEFAULT_KEYS } from '../mock/server.js';
import type { KeyRole } from '../core/targets.js';

interface PlannedRequest {
  key: string;
  method: string;
  path: string;
  /** The credential by its variable name, never its value. */
  credential: string;
  transport: 'undici' | 'raw socket';
  checks: string[];
  /** The check inside which it is sent in order, if any. */
  sequence?: string;
  /** Why it is not sent. */
  reason?: string;
}

export interface Plan {
  requests: PlannedRequest[];
  /** Setup chains, setup first: "POST /directory → POST /file → POST /ffmpeg/process". */
  chains: string[];
  notSent: PlannedRequest[];
  notApplicable: Array<{ check: string; reason: string }>;
}

const PREFLIGHT_KEYS = ['preflight', 'preflight.key'];

/**
 * The command's first requests (app/preflight.ts), both the guide's own test request
 * (x-roles.testRequest, GET /directory: authentication-guide.txt:66-71): without a key (is the
 * target reachable?) and, when there is a key to send, with the valid key (does the target accept it?). A key-injecting backend's client sends none.
 */
export function preflightCredential({ target, env }: Pick<Scope, 'target' | 'env'>): string | undefined {
  const variable = target.credentials.valid;
  return target.profile === 'direct' && env[variable] ? variable : undefined;
}

function preflightRows(scope: Scope): PlannedRequest[] {
  const test = roleOperation(scope.contract, 'testRequest');
  const row = (key: string, credential: string, what: string): PlannedRequest => ({ key, method: test.method, path: test.path, credential, transport: 'undici', checks: [what] });
  const variable = preflightCredential(scope);
  return [row(PREFLIGHT_KEYS[0]!, '(none)', '(preflight: is the target reachable?)'), ...(variable ? [row(PREFLIGHT_KEYS[1]!, variable, '(preflight: does it accept the key?)')] : [])];
}

export function buildPlan(checks: Check[], scope: Scope): Plan {
  const { target, contract } = scope;
  const requests = new Map<string, PlannedRequest>(preflightRows(scope).map((r) => [r.key, r]));
  const notSent = new Map<string, PlannedRequest>();
  const notApplicable: Plan['notApplicable'] = [];
  const feeds = new Map<string, string[]>();

  const describe = (p: Probe, sequence?: string): PlannedRequest => {
    const op = contract.operations.find((o) => o.operationId === p.operationId)!;
    const query = Object.keys(p.query ?? {});
    const path = `${p.plainHttp ? (target.plainHttpUrl ?? 'http://…') : ''}${p.path ?? op.path}${query.length ? `?${query.map((q) => `${q}=…`).join('&')}` : ''}`;
    const role = p.credential === 'none' ? '(none)' : p.credential === 'wrong' ? '(a throwaway invalid key)' : target.credentials[p.credential];
    const credential = p.headers && p.credential !== 'none' && p.credential !== 'wrong' ? `${role}, reshaped` : role;
    // (the reshaped header lines themselves: --list shows each check's templates)
    return { key: p.key, method: op.method, path, credential, transport: p.raw ? 'raw socket' : 'undici', checks: [], ...(sequence && { sequence }) };
  };
  const add = (p: Probe, check: string, sequence?: string): void => {
    const reason = probeUnavailable(p, scope)?.reason;
    const into = reason ? notSent : requests;
    // A chain (setup first): each request whose answer feeds this one, then this one.
    for (const linked of !reason && p.linked ? parameterSources(p, scope) : []) {
      add(linked.probe, `(setup: ${linked.source.in === 'body' ? `body ${linked.source.parameter}` : linked.source.parameter} for ${p.key})`);
      feeds.set(p.key, [...new Set([...(feeds.get(p.key) ?? []), linked.probe.key])]);
    }
    const row = into.get(p.key) ?? { ...describe(p, sequence), ...(reason && { reason }) };
    into.set(p.key, row);
    if (!row.checks.includes(check)) row.checks.push(check);
  };

  for (const c of checks) {
    const inapplicable = checkInapplicable(c, scope);
    if (inapplicable) {
      notApplicable.push({ check: c.id, reason: inapplicable.reason });
      continue;
    }
    if (c.sequence) {
      const blocked = c.sequence.map((p) => probeUnavailable(p, scope)).find(Boolean);
      if (blocked) notApplicable.push({ check: c.id, reason: blocked.reason });
      else for (const p of c.sequence) add(p, c.id, c.id);
      continue;
    }
    if (c.over && c.over.every((p) => probeUnavailable(p, scope))) {
      notApplicable.push({ check: c.id, reason: 'none of its requests can be sent with what is configured' });
      continue;
    }
    for (const p of c.probe ? [c.probe] : (c.over ?? [])) add(p, c.id);
  }
  // The longest chains only: a request that feeds another is shown inside that one's chain.
  const fed = new Set([...feeds.values()].flat());
  const label = (key: string) => `${requests.get(key)!.method} ${requests.get(key)!.path}`;
  const chainOf = (key: string): string[] => [...(feeds.get(key) ?? []).flatMap((k) => chainOf(k).slice(0, -1).concat(k)), key];
  const chains = [...feeds.keys()].filter((k) => !fed.has(k)).map((k) => [...new Set(chainOf(k))].map(label).join(' → '));
  return { requests: [...requests.values()], chains, notSent: [...notSent.values()], notApplicable };
}

/** The environment a run sees: the bundled mock is started with its documented default keys for the variables left unset. */
export function runEnv(config: Config, given: Scope['env'] = process.env): Scope['env'] {
  const env = { ...given };
  if (config.target.bundledMock) for (const role of Object.keys(DEFAULT_KEYS) as KeyRole[]) env[config.target.credentials[role]] ??= DEFAULT_KEYS[role];
  return env;
}

/** The keys of the probes a run sends, in plan order (the preflight is the command's own). */
export const scheduleOf = (plan: Plan): string[] => plan.requests.filter((r) => !PREFLIGHT_KEYS.includes(r.key)).map((r) => r.key);

export function planLines(config: Config, contract: Contract, checks: Check[], given: Scope['env'] = process.env): string[] {
  const { target } = config;
  const plan = buildPlan(checks, { target, contract, env: runEnv(config, given) });
  const where = target.bundledMock ? 'the bundled reference mock' : target.url;
  const creds = Object.entries(target.credentials).map(([role, v]) => `${role} ${v} (${given[v] ? 'set' : target.bundledMock ? "the mock's default" : 'not set'})`);
  const row = (r: PlannedRequest, n: string) =>
    `${n.padStart(4)}  ${r.method.padEnd(5)} ${r.path.padEnd(34)} ${r.credential.padEnd(30)} ${r.transport.padEnd(10)} ${r.checks.join(', ')}`;
  const total = plan.requests.length;
  const pre = plan.requests.filter((r) => PREFLIGHT_KEYS.includes(r.key)).length;
  const inSequence = plan.requests.filter((r) => r.sequence);
  const lines = [
    `Plan: what a run against ${where} (profile ${target.profile}) would send. Nothing has been sent.`,
    `Credentials, by variable: ${creds.join(', ')}`,
    '',
    `${'#'.padStart(4)}  ${'METHOD'.padEnd(5)} ${'PATH'.padEnd(34)} ${'CREDENTIAL'.padEnd(30)} ${'VIA'.padEnd(10)} CHECKS SERVED`,
    ...plan.requests.map((r, i) => row(r, String(i))),
  ];
  for (const reason of new Set(plan.notSent.map((r) => r.reason!))) {
    const rows = plan.notSent.filter((r) => r.reason === reason);
    lines.push('', `Not sent, ${rows.length} request(s): ${reason}. The checks they serve are not-verified.`, ...rows.map((r) => row(r, '-')));
  }
  if (plan.chains.length) lines.push('', 'Setup chains (each answer feeds the next request; a valid request then uses what its setup created):', ...plan.chains.map((c) => `  Chain: ${c}`));
  if (plan.notApplicable.length) lines.push('', 'Checks that do not apply to this target (not-verified):', ...plan.notApplicable.map((n) => `  ${n.check}: ${n.reason}`));
  lines.push(
    '',
    `Total: ${total} requests (${pre} preflight + ${total - pre} probes, each sent once${inSequence.length ? `; ${inSequence.length} of them in order inside ${[...new Set(inSequence.map((r) => r.sequence))].join(', ')}` : ''}), at most ${config.concurrency} at a time.`,
  );
  if (config.maxRequests !== undefined && config.maxRequests < total)
    lines.push(`--max-requests ${config.maxRequests}: ${config.maxRequests} are sent, in the order the run reaches them; the other ${total - config.maxRequests} are not, and their checks are not-verified.`);
  return lines;
}
