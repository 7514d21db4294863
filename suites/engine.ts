// One run's engine: the state of the run (its transport with the concurrency, pause and budget,
// the request memo, the schedule the plan made) in one object, and the evaluation of a check:
// gather its evidence as the plan says, hand it to its judge, return the result as data.
import type { Target } from '../core/config.js';
import { HarnessError } from '../core/http/errors.js';
import { Transport, type HttpOptions } from '../core/http/transport.js';
import type { HttpRequest, HttpResponse } from '../core/http/types.js';
import { redactDeep, redactSpread, registeredSecrets } from '../core/secrets.js';
import { capFindings } from './bounds.js';
import { credentialValue, responseFor, roleOperation, schemaValidators, type AuthScheme, type Contract } from '../core/spec.js';
import { checkInapplicable, parameterSources, probesOf, probeUnavailable, type Check, type Credential, type Probe, type Scope, type Unverifiable } from './catalog.js';
import { JUDGES, answerText, atPointer, clip, operationOf, outcomeOf } from './judges.js';
import { fill, keyParts, NO_KEY, type KeyParts } from './keyforms.js';
import { ABSENT, describeOperation, missingOperations } from './surface.js';
import { errorReason } from '../core/hints.js';
import type { CheckResult, CheckOutcome } from '../core/results.js';
import type { Answer, Exchange, JudgeContext, Judgement } from './judge-types.js';

/** What the vitest workers receive through `provide`/`inject`: plain JSON, no key values. */
export interface RunContext {
  target: Target;
  http: HttpOptions;
  contract: Contract;
  /** The checks of the run, built once by the command (suites/catalog.ts), --only/--skip applied. */
  catalog: Check[];
  /** The keys of the probes the plan sends, in plan order (app/plan.ts): nothing else is sent. */
  schedule: string[];
  /** The run's keys by variable name (only the target's credential variables that are set). */
  keys: Record<string, string>;
  /** --max-requests, and how many the command already sent (the preflight). */
  budget?: { max: number; spent: number };
  /** Send every probe from the start (a whole run; a shard sends only its own files' probes). */
  prefetch: boolean;
  /** The preflight found the valid key refused (app/preflight.ts): the checks that need it are not verified. */
  keyRejected?: string;
  /**
   * The BroadcastChannel on which the command says the run is interrupted (app/run.ts): the
   * worker cuts every request in flight at once. (Vitest's own cancel does not reach the tests
   * that run concurrently: it waits for them to end.)
   */
  stopChannel?: string;
}

/** A throwaway key of our own, well-formed but never issued, in the spec's scheme ("Basic <token>"). */
export const wrongKey = (auth: AuthScheme): string => credentialValue(auth, Buffer.from('conformance_wrong_key_0000000').toString('base64'));

/** What a check is, whatever happens to it: id, clause, level, group, title, judge. */
const identity = (check: Check) => ({ id: check.id, clause: check.clause.id, level: check.level, group: check.group, title: check.title, judge: check.judge });

/** The fields of a check's result that do not depend on the target: id, clause, level, expectation. */
export function describeCheck(check: Check, contract: Contract): Omit<CheckOutcome, 'verdict'> {
  return {
    ...identity(check),
    expected: JUDGES[check.judge].expected(check, contract),
    ...answerClauseOf(check, contract),
  };
}

/**
 * A check whose evaluation threw (a harness bug, never the target's doing): an `error` verdict with
 * the check's own clause and level, so that it counts as what it is (a SHOULD check never as a MUST).
 */
function crashed(check: Check, e: unknown): CheckOutcome {
  const why = (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
  return redactDeep({
    ...identity(check),
    verdict: 'error',
    expected: '(the check did not run to its judge)',
    message: `the check itself failed: ${why}`,
  });
}

/** The one clause that documents a documented check's expected answer, when it is another clause. */
function answerClauseOf(check: Check, contract: Contract): { answerClause?: string } {
  if (check.judge !== 'documented' || !check.answers?.length) return {};
  const op = operationOf(contract, check);
  const clauses = new Set(check.answers.map((role) => responseFor(op, role)?.clause));
  const [only] = clauses;
  return clauses.size === 1 && only && only !== check.clause.id ? { answerClause: only } : {};
}

/** What a report keeps of an exchange: redacted, with the body cut to an excerpt. */
export function describeExchange(ex: Exchange): NonNullable<CheckResult['exchange']> {
  const r = ex.response;
  return redactDeep({
    request: {
      method: ex.request.method,
      url: ex.request.url.href,
      transport: ex.request.raw ? 'raw-socket' : 'undici',
      headers: ex.request.headers.map(([k, v]) => `${k}: ${clip(v, 200)}`),
    },
    ...(r && {
      response: {
        status: r.status,
        contentType: r.headers['content-type'] ?? null,
        headers: Object.fromEntries(Object.entries(redactSpread(r.headers)).slice(0, 40).map(([k, v]) => [clip(k, 100), clip(v, 300)])),
        body: r.body.length > 2000 ? `${r.body.slice(0, 2000)}…` : r.body,
        bodyTruncated: r.truncated,
        ms: r.ms,
      },
    }),
  });
}

/**
 * A linked path parameter or body field could not be had from the answer that should give it (a
 * setup request of the chain). `writes`: --allow-writes would have the suite create it.
 */
class NoSource extends Error {
  constructor(message: string, readonly writes = false) {
    super(message);
  }
}

/** What a valid request takes from the answers of its setup requests (suites/catalog.ts parameterSources). */
interface Linked {
  path: Record<string, string>;
  /** JSON pointer into the request body → value. */
  body: Array<[string, string]>;
  /** The setup requests that fed it, "POST /directory → POST /file". */
  chain: string[];
}

/** A copy of `value` with `pointer` set (objects and arrays made along the way). */
function setAt(value: unknown, pointer: string, v: unknown): unknown {
  const [head, ...rest] = pointer.split('/').slice(1).map((x) => x.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (head === undefined) return v;
  const inner = rest.length ? `/${rest.join('/')}` : '';
  if (Array.isArray(value) || (value === undefined && /^\d+$/.test(head))) {
    const copy = [...((value as unknown[] | undefined) ?? [])];
    copy[Number(head)] = setAt(copy[Number(head)], inner, v);
    return copy;
  }
  const obj = value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  return { ...obj, [head]: setAt(obj[head], inner, v) };
}

/** A request body from the spec's example for its media type: JSON as JSON, multipart as form data. */
async function exampleBody(mediaType: string, example: unknown): Promise<{ body: string; contentType: string }> {
  if (mediaType === 'multipart/form-data') {
    const form = new FormData();
    for (const [name, v] of Object.entries((example ?? {}) as Record<string, unknown>)) form.append(name, typeof v === 'string' ? v : JSON.stringify(v));
    const encoded = new Request('http://body.invalid', { method: 'POST', body: form });
    return { body: await encoded.text(), contentType: encoded.headers.get('content-type')! };
  }
  return { body: typeof example === 'string' ? example : JSON.stringify(example ?? {}), contentType: mediaType };
}

export class Run {
  readonly transport: Transport;
  readonly scope: Scope;
  private readonly memo = new Map<string, Promise<Exchange>>();
  /** The probe of each memo entry: whose credential an answer was. */
  private readonly sentProbes = new Map<string, Probe>();
  /** The probes the plan sends, by key: nothing else goes on the wire. */
  private readonly scheduled: Set<string>;
  private readonly judging: JudgeContext;
  private spent: number;
  /** Aborted when the run is interrupted: every request in flight is cut, nothing more is sent. */
  private readonly stopped = new AbortController();

  /** The run's keys by variable name (ctx.keys). */
  private readonly env: Record<string, string | undefined>;

  constructor(readonly ctx: RunContext) {
    const env = (this.env = ctx.keys);
    this.spent = ctx.budget?.spent ?? 0;
    const budget = ctx.budget;
    this.transport = new Transport({
      ...ctx.http,
      signal: this.stopped.signal,
      // --max-requests: every attempt on the wire counts, retries included.
      beforeAttempt: () => {
        if (budget && this.spent >= budget.max) throw new HarnessError('budget', `--max-requests ${budget.max} was reached before this request`);
        this.spent++;
      },
    });
    if (ctx.stopChannel) {
      const stop = new BroadcastChannel(ctx.stopChannel);
      stop.unref(); // it never keeps the worker alive
      stop.onmessage = () => {
        this.abort();
        stop.close();
      };
    }
    this.scope = { target: ctx.target, contract: ctx.contract, env, ...(ctx.keyRejected && { keyRejected: ctx.keyRejected }) };
    this.scheduled = new Set(ctx.schedule);
    const injected = env[ctx.target.credentials.valid];
    this.judging = {
      contract: ctx.contract,
      validator: schemaValidators(ctx.contract),
      maxBodyBytes: ctx.http.maxBodyBytes,
      secrets: registeredSecrets(),
      ...(injected && { injectedKey: keyParts(injected) }),
    };
  }

  /** The run was interrupted: requests in flight are cut, the checks waiting on them end as not-verified (interrupted). */
  abort(): void {
    this.stopped.abort();
  }

  /** Starts every scheduled probe now, in plan order: the suite files then share the concurrency. */
  prefetch(): void {
    const byKey = new Map(this.ctx.catalog.flatMap(probesOf).map((p) => [p.key, p]));
    // Sequences are sent in order inside their check; a failure is the check's to report.
    const inSequence = new Set(this.ctx.catalog.flatMap((c) => c.sequence ?? []).map((p) => p.key));
    for (const key of this.ctx.schedule) {
      const p = byKey.get(key);
      if (p && !inSequence.has(key)) this.exchange(p).catch(() => {});
    }
  }

  credentialValue(c: Credential): string | undefined {
    if (c === 'none') return undefined;
    if (c === 'wrong') return wrongKey(this.ctx.contract.auth);
    return this.env[this.ctx.target.credentials[c]];
  }

  private async buildRequest(p: Probe, linked: Linked): Promise<{ request: HttpRequest; sent?: KeyParts }> {
    const params = linked.path;
    const op = this.ctx.contract.operations.find((o) => o.operationId === p.operationId);
    if (!op) throw new Error(`unknown operation ${p.operationId}`);
    const value = this.credentialValue(p.credential);
    const k = value ? keyParts(value) : NO_KEY;
    const base = p.plainHttp ? this.ctx.target.plainHttpUrl! : this.ctx.target.url;
    // Path parameters: from the answer the spec links them to, else the spec's example.
    const path = (p.path ?? op.path).replace(/\{([^}]+)\}/g, (_, name: string) => {
      const v = p.unknownParams ? 'conformance_unknown' : (params[name] ?? op.parameters.find((x) => x.name === name)?.example);
      if (v === undefined) throw new Error(`the spec gives no example for path parameter ${name} of ${op.operationId}`);
      return encodeURIComponent(v);
    });
    const url = new URL(base + path);
    for (const [name, v] of Object.entries(p.query ?? {})) url.searchParams.set(name, fill(v, k));
    const headers: Array<[string, string]> = p.headers ? p.headers.map(([n, v]) => [n, fill(v, k)]) : value ? [[this.ctx.contract.auth.header, value]] : [];
    let body = p.body === undefined ? undefined : fill(p.body, k);
    if (body === undefined && op.requestBody) {
      const json = /json/i.test(op.requestBody.mediaType);
      const filled = json ? linked.body.reduce<unknown>((b, [field, v]) => setAt(b, field, v), op.requestBody.example) : op.requestBody.example;
      const example = await exampleBody(op.requestBody.mediaType, filled);
      body = example.body;
      headers.push(['Content-Type', example.contentType]);
    }
    return { request: { method: op.method, url, headers, body, raw: p.raw }, sent: value ? k : undefined };
  }

  /** Real values for a probe's linked path parameters and body fields, from the answers of probes the plan sends anyway (its setup). */
  private async linkedParameters(p: Probe): Promise<Linked> {
    const linked: Linked = { path: {}, body: [], chain: [] };
    for (const { probe, source } of parameterSources(p, this.scope)) {
      const from = this.ctx.contract.operations.find((o) => o.operationId === source.operationId)!;
      const what = source.in === 'body' ? `the request body's ${source.parameter}` : source.parameter;
      const ex = await this.exchange(probe);
      const setup = `the setup request ${from.method} ${from.path}`;
      if (ex.error) throw new HarnessError(ex.error.kind, `no ${what} for ${p.key}: ${setup} got no answer: ${ex.error.message}`);
      const r = ex.response!;
      let body: unknown;
      try {
        body = JSON.parse(r.body || 'null');
      } catch {
        throw new NoSource(`${setup} answered ${answerText(r)}, which is not JSON, so it gives no ${what}`);
      }
      const v = atPointer(body, source.pointer);
      if (typeof v !== 'string' && typeof v !== 'number')
        throw new NoSource(`${setup} answered ${answerText(r)}, with nothing at ${source.pointer} for ${what}` + (from.writes ? '' : '; pass --allow-writes to create it'), !from.writes);
      if (source.in === 'body') linked.body.push([source.parameter, String(v)]);
      else linked.path[source.parameter] = String(v);
      linked.chain.push(...((await this.exchange(probe)).chain ?? []), `${from.method} ${from.path}`);
    }
    return linked;
  }

  /** Sends a scheduled probe once per run; every check that judges it shares the answer. */
  exchange(p: Probe): Promise<Exchange> {
    let pending = this.memo.get(p.key);
    if (!pending) {
      if (!this.scheduled.has(p.key)) return Promise.reject(new Error(`probe ${p.key} is not in the run's plan`));
      pending = (async (): Promise<Exchange> => {
        let linked: Linked = { path: {}, body: [], chain: [] };
        let noSource: HarnessError | undefined;
        if (p.linked)
          linked = await this.linkedParameters(p).catch((e: unknown) => {
            if (!(e instanceof HarnessError)) throw e;
            noSource = e;
            return linked;
          });
        const { request, sent } = await this.buildRequest(p, linked);
        if (noSource) return { request, sent, error: noSource };
        const chain = linked.chain.length ? { chain: [...new Set(linked.chain)] } : {};
        const start = Date.now();
        try {
          const response = await this.transport.send(request);
          this.slowest = Math.max(this.slowest ?? 0, response.ms);
          return { request, sent, ...chain, response, timing: { start, end: Date.now() } };
        } catch (e) {
          if (e instanceof HarnessError) return { request, sent, error: e, timing: { start, end: Date.now() } };
          throw e;
        }
      })();
      this.memo.set(p.key, pending);
      this.sentProbes.set(p.key, p);
    }
    return pending;
  }

  private missing?: Promise<Map<string, string>>;
  /** The slowest answer of the run so far (ms), for the hint of a timeout. */
  private slowest?: number;

  /** Whether a request of the check, to its own operation, was answered 404, 405 or 501 (its sequence is sent later, inside it). */
  private async answeredAbsent(check: Check): Promise<boolean> {
    const own = (check.sequence ? [] : probesOf(check)).filter((p) => p.operationId === check.operationId && !this.unsent(p));
    const settled = await Promise.all(own.map((p) => this.exchange(p).catch(() => undefined)));
    return settled.some((ex) => ex?.response && ABSENT.has(ex.response.status));
  }

  /** The operations not implemented at the target (suites/surface.ts), from the answers to their own requests this run sends. */
  private missingOperations(): Promise<Map<string, string>> {
    this.missing ??= (async () => {
      const own = this.ctx.catalog.find((c) => c.judge === 'served')?.over ?? [];
      const settled = await Promise.all(own.filter((p) => !this.unsent(p)).map(async (probe) => ({ probe, exchange: await this.exchange(probe).catch(() => undefined) })));
      return missingOperations(this.ctx.contract, settled.flatMap((a) => (a.exchange?.response ? [a as { probe: Probe; exchange: Exchange }] : [])));
    })();
    return this.missing;
  }

  /**
   * After a malformed request's connection was closed without an answer: the guide's own test
   * request (GET /directory, no key) on a fresh connection. Answered, the server is well and the
   * close was its refusal; not answered, the target drops connections and nothing is known.
   */
  private async wellFormedAnswer(): Promise<HttpResponse | undefined> {
    const listing = roleOperation(this.ctx.contract, 'testRequest');
    return this.transport.send({ method: 'GET', url: new URL(`${this.ctx.target.url}${listing.path}`), headers: [], raw: true }).catch(() => undefined);
  }

  /**
   * A 429/503 held through every wait for one credential is that credential's answer (a quota
   * server may throttle the exhausted key), when every request with that credential was held so
   * while requests with other credentials were answered in the same window and none of theirs was
   * held: the last throttled answer is then judged against the contract. Throttling that touches
   * every credential stays a harness error (inconclusive).
   */
  private async ownThrottle(p: Probe, ex: Exchange): Promise<HttpResponse | undefined> {
    const held = ex.error?.response;
    if (ex.error?.kind !== 'throttled' || !held || !ex.timing || p.credential === 'none') return undefined;
    // Everything the plan sends settles first: the verdict needs the whole window.
    const keys = this.ctx.schedule.filter((k) => this.sentProbes.has(k));
    const all = await Promise.all(keys.map(async (k) => ({ probe: this.sentProbes.get(k)!, ex: await this.memo.get(k)!.catch(() => undefined) })));
    const settled = all.filter((a): a is { probe: Probe; ex: Exchange } => a.ex !== undefined);
    const mine = settled.filter((a) => a.probe.credential === p.credential);
    const others = settled.filter((a) => a.probe.credential !== p.credential);
    const heldAll = mine.every((a) => a.ex.error?.kind === 'throttled');
    const othersHeld = others.some((a) => a.ex.error?.kind === 'throttled');
    const answeredMeanwhile = others.some((a) => a.ex.response && a.ex.timing && a.ex.timing.end >= ex.timing!.start && a.ex.timing.start <= ex.timing!.end);
    return heldAll && !othersHeld && answeredMeanwhile ? held : undefined;
  }

  /** Why a probe is not sent in this run, or undefined. */
  private unsent(p: Probe): Unverifiable | undefined {
    return probeUnavailable(p, this.scope) ?? (this.scheduled.has(p.key) ? undefined : { reason: 'left out of the plan (--skip)', cause: 'scope', category: 'selection', remedy: 'run without --skip' });
  }

  /** A probe's exchange, or why a setup request of its chain gave nothing to build it from. */
  private async send(p: Probe): Promise<Exchange | NoSource> {
    try {
      return await this.exchange(p);
    } catch (e) {
      if (e instanceof NoSource) return e;
      throw e;
    }
  }

  /** Gathers a check's evidence as the plan says, and has its judge rule on it. */
  async evaluate(check: Check): Promise<CheckOutcome> {
    try {
      return await this.evaluateOrThrow(check);
    } catch (e) {
      return crashed(check, e);
    }
  }

  private async evaluateOrThrow(check: Check): Promise<CheckOutcome> {
    const base = describeCheck(check, this.ctx.contract);
    const all = await this.judge(check);
    const judged = { ...all, findings: capFindings(all.findings) }; // bounded whatever the target sent (suites/bounds.ts)
    const shown = judged.shown;
    const narrowed = check.narrowed?.length ? ` (evidence narrowed by the selection: ${check.narrowed.length} request${check.narrowed.length > 1 ? 's' : ''} left out)` : '';
    const label = judged.outcome ?? (shown ? outcomeOf(shown, this.ctx.http.maxBodyBytes) : undefined);
    const outcome = label === undefined ? undefined : label + narrowed;
    const message = judged.findings.length ? judged.findings.map((f) => f.message).join('\n') : judged.verdict === 'error' ? judged.reason : undefined;
    return redactDeep({
      ...base,
      verdict: judged.verdict,
      ...(outcome !== undefined && { outcome }),
      ...(message !== undefined && { message }),
      ...(judged.findings.length > 0 && { findings: judged.findings }),
      ...(judged.verdict === 'not-verified' && { reason: judged.reason ?? 'not run', ...judged.gap }),
      ...(judged.unseen?.length && { unseen: judged.unseen }),
      ...(shown && { exchange: describeExchange(shown) }),
    });
  }

  private async judge(check: Check): Promise<Judgement> {
    const notVerified = ({ reason, ...gap }: Unverifiable): Judgement => ({ verdict: 'not-verified', findings: [], reason, gap });
    const budget = (reason: string) => notVerified({ reason, cause: 'budget', category: 'budget', remedy: 'a larger --max-requests' });
    // A setup request of the chain gave nothing to build this request from: --allow-writes helps only when it was a read.
    const noSource = (e: NoSource, reason = e.message) =>
      notVerified(e.writes ? { reason, cause: 'scope', category: 'writes', remedy: '--allow-writes (creates what the request needs)' } : { reason, cause: 'scope', category: 'setup', remedy: 'a setup request the target answers as documented (see the reason)' });
    const interrupted = (reason: string) => notVerified({ reason, cause: 'interrupted', category: 'interrupted' });
    const inapplicable = checkInapplicable(check, this.scope);
    if (inapplicable) return notVerified(inapplicable);
    const judge = JUDGES[check.judge];
    // An operation the target does not implement: one finding (api.operations-served), not one per check.
    // Asked only when the check's own requests got such an answer: a served operation's checks wait for nothing more.
    const absent = check.operationId && check.judge !== 'served' && (await this.answeredAbsent(check)) ? (await this.missingOperations()).get(check.operationId) : undefined;
    if (absent)
      return notVerified({
        reason: `${describeOperation(this.ctx.contract, check.operationId!)} is not implemented at this target (${absent}): api.operations-served has the finding`,
        cause: 'scope',
        category: 'not implemented',
        remedy: 'the operation served at the target, or --operation to leave it out',
      });
    if (!judge.aggregate) {
      const probes = check.sequence ?? [check.probe!];
      const blocked = probes.map((p) => this.unsent(p)).find(Boolean);
      if (blocked) return notVerified(blocked);
      const answers: Answer[] = [];
      for (const probe of probes) {
        const ex = await this.send(probe); // in order: a sequence is sent one request after another
        if (ex instanceof NoSource) return noSource(ex);
        if (ex.error?.kind === 'budget') return budget(ex.error.message);
        if (ex.error?.kind === 'interrupted') return interrupted(ex.error.message);
        const own = ex.error ? await this.ownThrottle(probe, ex) : undefined;
        if (own) {
          answers.push({ probe, exchange: { ...ex, error: undefined, response: own } as Answer['exchange'] });
          continue;
        }
        if (ex.error) {
          const accepted = judge.noAnswer?.(ex.error);
          if (accepted) return { ...accepted, shown: ex };
          const control = judge.closingRefuses && ex.error.kind === 'reset' ? await this.wellFormedAnswer() : undefined;
          if (control)
            return { verdict: 'pass', findings: [], outcome: `closed without an answer (not served); a well-formed request on a fresh connection right after: ${control.status}`, shown: ex };
          return { verdict: 'error', findings: [], reason: errorReason(ex.error, this.ctx.http.timeoutMs, this.slowest), shown: ex };
        }
        answers.push({ probe, exchange: ex as Answer['exchange'] });
      }
      return judge.judge(check, answers, this.judging);
    }
    // An aggregate: every answer of its probes that can be sent; offences fail it even on partial
    // evidence, but without one, missing evidence is no pass.
    const probes = (check.over ?? []).filter((p) => !this.unsent(p));
    const unseen = (check.over ?? []).filter((p) => this.unsent(p)).map((p) => p.key);
    const judgedOn = await this.judgeAggregate(check, probes, notVerified, noSource, budget, interrupted);
    return unseen.length && judgedOn.verdict !== 'not-verified' ? { ...judgedOn, unseen } : judgedOn;
  }

  /** An aggregate's judgement over the answers of the probes it can send. */
  private async judgeAggregate(
    check: Check,
    probes: Probe[],
    notVerified: (u: Unverifiable) => Judgement,
    noSource: (e: NoSource, reason?: string) => Judgement,
    budget: (reason: string) => Judgement,
    interrupted: (reason: string) => Judgement,
  ): Promise<Judgement> {
    const judge = JUDGES[check.judge];
    const settled = await Promise.all(
      probes.map(async (probe) => {
        const ex = await this.send(probe);
        const own = !(ex instanceof NoSource) && ex.error ? await this.ownThrottle(probe, ex) : undefined;
        return { probe, ex: own && !(ex instanceof NoSource) ? ({ ...ex, error: undefined, response: own } as Exchange) : ex };
      }),
    );
    const answers = settled.flatMap(({ probe, ex }): Answer[] => (!(ex instanceof NoSource) && ex.response ? [{ probe, exchange: ex as Answer['exchange'] }] : []));
    const cut = settled.find(({ ex }) => !(ex instanceof NoSource) && ex.error?.kind === 'interrupted');
    if (cut) return interrupted((cut.ex as Exchange).error!.message);
    const judged = judge.judge(check, answers.filter(judge.only ?? (() => true)), this.judging);
    if (judged.verdict === 'fail') return judged;
    const broken = settled.flatMap(({ probe, ex }) => (!(ex instanceof NoSource) && ex.error && ex.error.kind !== 'budget' ? [`${probe.key}: ${errorReason(ex.error, this.ctx.http.timeoutMs, this.slowest)}`] : []));
    if (broken.length) return { ...judged, verdict: 'error', reason: `${broken.length} of its requests got no answer: ${broken.join('; ')}` };
    const unsent = settled.filter(({ ex }) => ex instanceof NoSource || ex.error?.kind === 'budget');
    if (unsent.length) {
      const first = unsent[0]!.ex;
      const reason = `${unsent.length} of its ${settled.length} requests were not sent: ${first instanceof NoSource ? first.message : first.error!.message}`;
      return first instanceof NoSource ? noSource(first, reason) : budget(reason);
    }
    if (!answers.filter(judge.only ?? (() => true)).length) {
      const blocked = (check.over ?? []).map((p) => this.unsent(p)).find(Boolean);
      if (!answers.length && blocked) return notVerified({ ...blocked, reason: `none of its requests could be sent: ${blocked.reason}` });
      return notVerified({ reason: answers.length ? 'no answer of the kind it judges' : 'none of its requests could be sent with what was configured', cause: 'scope', category: 'evidence' });
    }
    return judged;
  }
}
