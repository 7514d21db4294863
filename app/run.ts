// Runs the vitest suites against one target and returns the report model.
import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createVitest, type CliOptions, type Reporter } from 'vitest/node';
import { Collector } from '../reporters/collector.js';
import { buildReport, type Report, type ReportHead } from '../reporters/model.js';
import type { Check } from '../suites/catalog.js';
import { describeCheck, type RunContext } from '../suites/engine.js';
import type { Config } from '../core/config.js';
import type { ThrottleStats } from '../core/http/transport.js';
import { UsageError } from '../core/errors.js';
import { staged } from '../core/files.js';
import { buildPlan, runEnv, scheduleOf } from './plan.js';
import { redactDeep, redactInPlace } from '../core/secrets.js';
import { documentedErrorTexts, type Contract } from '../core/spec.js';
import { TOOL } from './tool.js';
import type { CheckResult } from '../core/results.js';

/** The directory of the suites: the repository (TypeScript, run by vitest) or dist/ once built (npm run build). */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUILT = import.meta.url.endsWith('.js');

export interface RunHooks {
  onResult?: (r: CheckResult) => void;
  /** Aborting it stops the run: checks not finished are left out, the report is marked interrupted. */
  signal?: AbortSignal;
  /** When the run began, if the caller keeps its own partial report of it. */
  startedAt?: Date;
  /** The preflight found the valid key refused: the line that says so (its checks: not-verified, key-rejected). */
  keyRejected?: string;
  /** How many requests the preflight sent (the budget counts them; 2 when the keyed one got no answer). */
  preflightRequests?: number;
  /** Where the keys are read, by variable name (the process's environment if not given). */
  env?: NodeJS.ProcessEnv;
  /** How the preflight was throttled: counted in the report with the run's own. */
  preflightThrottle?: ThrottleStats;
}

/**
 * Vitest's logger and vite's server exit the process on SIGINT/SIGTERM and on an unhandled
 * rejection; the CLI handles those itself (a report with the checks that ran), so the listeners
 * they add go: the logger's as soon as createVitest starts (it adds them synchronously), vite's
 * once it returns.
 */
async function withoutVitestExitHandlers<T>(create: () => Promise<T>): Promise<T> {
  const events = ['SIGINT', 'SIGTERM', 'unhandledRejection'];
  const emitter: NodeJS.EventEmitter = process;
  const before = new Map(events.map((e) => [e, new Set(emitter.listeners(e))]));
  const drop = () => {
    for (const e of events) for (const l of emitter.listeners(e)) if (!before.get(e)!.has(l)) emitter.off(e, l as () => void);
  };
  const pending = create();
  drop();
  const created = await pending;
  drop();
  return created;
}

/** The vitest options shared by a run and a merge of sharded runs. */
const SUITE_EXT = BUILT ? '.conformance.js' : '.conformance.ts';
// An installed package lives under node_modules/, which vitest's default exclude would leave out.
const SUITES: CliOptions = {
  config: false,
  root: ROOT,
  include: [`suites/**/*${SUITE_EXT}`],
  exclude: [],
  watch: false,
  // Built JavaScript needs no transform: what the suite files import loads natively, as from node_modules.
  ...(BUILT && { server: { deps: { external: [/\/dist\/(app|core|mock|suites|reporters)\/(?!.*\.conformance\.js$)/] } } }),
};
const SUITE_FILES = readdirSync(join(ROOT, 'suites')).filter((f) => f.endsWith(SUITE_EXT));

/** Where `--shard i/n` writes its vitest blob; `--merge-reports` reads the whole directory. */
export const blobFile = (reportDir: string, shard: { index: number; count: number }) => resolve(reportDir, 'blobs', `blob-${shard.index}-${shard.count}.json`);

/**
 * How vitest runs the suites, chosen by measurement (`npm run bench`, BENCHMARKS.md "Pool and
 * isolation", 2 cores): threads without isolation was the fastest of the four (2.03 s a run, forks
 * 2.19 s, threads isolated 3.21 s, forks isolated 3.33 s; medians on a busy machine). The checks
 * are stateless HTTP requests: one worker without per-file isolation evaluates suites/support.ts
 * once, so every file shares its per-run request memo and the spec's compiled validators (each
 * probe is sent once a run, as --plan lists them; isolated files re-import it and send nearly twice as many).
 * @public scripts/bench/floor.mjs reads it from the built dist/app/run.js, which knip does not follow.
 */
export const POOL = { pool: 'threads', isolate: false, maxWorkers: 1, fileParallelism: false } as const;

/**
 * Checks of the catalog that applied but reached no result: a suite file that does not select
 * them, or a result under an id the catalog does not have. Either is a harness failure: a check
 * never silently disappears from a report.
 */
function unreported(catalog: readonly Check[], results: readonly CheckResult[]): string[] {
  const got = new Set(results.map((r) => r.id));
  const ids = new Set(catalog.map((c) => c.id));
  return [
    ...catalog.filter((c) => !got.has(c.id)).map((c) => `check ${c.id} (suite ${c.suite}) is in the catalog but no suite file ran it`),
    ...results.filter((r) => !ids.has(r.id)).map((r) => `a result for ${r.id}, which the catalog does not have`),
  ];
}

export async function runSuites(config: Config, contract: Contract, catalog: Check[], hooks: RunHooks = {}, pool: { pool: 'threads' | 'forks'; isolate: boolean } = POOL): Promise<Report> {
  const startedAt = hooks.startedAt ?? new Date();
  const collector = new Collector(hooks.onResult);
  // The budget counts every request of the run: the preflight's (app/preflight.ts) are the first.
  const budget = config.maxRequests === undefined ? undefined : { max: config.maxRequests, spent: hooks.preflightRequests ?? 1 };
  const shard = config.shard;
  // The run sends what the plan lists: the same rules, the same order (app/plan.ts).
  const keyRejected = hooks.keyRejected;
  const env = runEnv(config, hooks.env);
  const schedule = scheduleOf(buildPlan(catalog, { target: config.target, contract, env, keyRejected }));
  // The keys travel to the suites' worker in the run context (never through process.env, which other runs share).
  const keys = Object.fromEntries(Object.values(config.target.credentials).flatMap((name) => (env[name] ? [[name, env[name]]] : [])));
  // Interrupting the run reaches the suites' worker on this channel (its name is the run's own).
  const stop = new BroadcastChannel(`ffmpeg-api-conformance:stop:${randomUUID()}`);
  stop.unref();
  const provided: RunContext = { target: config.target, http: config.http, contract, catalog, schedule, keys, prefetch: !shard, stopChannel: stop.name, ...(budget && { budget }), ...(keyRejected && { keyRejected }) };
  // Only the suite files that hold a check of this run (--only may leave some empty; vitest refuses an empty file).
  const files = SUITE_FILES.filter((f) => catalog.some((c) => f === `${c.suite}${SUITE_EXT}`));
  if (shard && shard.count > files.length) throw new UsageError(`--shard ${shard.index}/${shard.count}: the run has only ${files.length} suite files to spread over shards`);
  // vitest's blob reporter writes with a plain writeFile: into a fresh directory, then renamed into place (core/files.ts)
  const blob = shard ? staged(blobFile(config.reportDir, shard)) : undefined;
  collector.head = reportHead(config, contract, startedAt, env);
  collector.setCatalog(catalog.map((c) => ({ id: c.id, clause: c.clause.id, level: c.level, group: c.group, title: c.title, judge: c.judge })));
  // A cancel is only heard once a test module runs (vitest resets it when the run begins).
  let running = false;
  const cancel = () => void vitest.cancelCurrentRun('keyboard-input');
  const gate: Reporter = {
    onTestModuleStart: () => {
      if (!running && hooks.signal?.aborted) cancel();
      running = true;
    },
  };
  const onAbort = () => {
    collector.interrupted = true;
    stop.postMessage('stop');
    if (running) cancel();
  };
  hooks.signal?.addEventListener('abort', onAbort, { once: true });
  const vitest = await withoutVitestExitHandlers(() => createVitest(
    'test',
    {
      ...SUITES,
      include: files.length ? files.map((f) => `suites/${f}`) : SUITES.include,
      // The redactor runs first (vitest calls reporters in order): the blob is redacted before it touches the disk.
      reporters: blob ? [collector, gate, blobRedactor, ['blob', { outputFile: blob.path }]] : [collector, gate],
      ...(shard && { shard: `${shard.index}/${shard.count}` }),
      ...POOL,
      ...pool,
      maxConcurrency: config.concurrency,
      // Requests wait for a free slot (--concurrency) and end at the deadline at the latest (core/http/transport.ts).
      testTimeout: config.deadlineMs + 10_000,
      provide: { run: provided },
    },
    { logLevel: 'silent', clearScreen: false },
  ));
  try {
    await vitest.start();
  } catch (e) {
    blob?.discard();
    throw e;
  } finally {
    hooks.signal?.removeEventListener('abort', onAbort);
    await vitest.close();
    stop.close();
  }
  blob?.commit();
  process.exitCode = undefined; // vitest sets it; the verdict decides ours
  const interrupted = collector.interrupted || Boolean(hooks.signal?.aborted);
  // A suite file that did not load, or a run without a single check, proves nothing: never a verdict.
  if (collector.problems.length) throw new UsageError(`the suites could not run: ${collector.problems[0]!.split('\n')[0]}`);
  if (!collector.results.length && !interrupted && !shard) throw new UsageError('the suites ran no check');
  const missing = interrupted || shard ? [] : unreported(catalog, collector.results);
  if (missing.length) throw new UsageError(`the run is incomplete: ${missing[0]}${missing.length > 1 ? ` (and ${missing.length - 1} more)` : ''}`);
  const pre = hooks.preflightThrottle;
  const t = collector.throttle;
  const answers = t.answers + (pre?.answers ?? 0);
  const throttle = answers ? { throttle: { answers, waitedMs: Math.round(t.waitedMs + (pre?.waitedMs ?? 0)), concurrency: t.answers ? t.concurrency : (pre?.concurrency ?? config.concurrency) } } : {};
  const results = interrupted && !shard ? withUnfinished(collector.results, catalog, contract) : collector.results;
  return partialReport({ ...collector.head, ...throttle }, results, startedAt, interrupted, shard);
}

/**
 * The results of an interrupted run, with every check of the catalog that did not finish (cut
 * in flight or never started) as not-verified, cause interrupted: the report says what was not judged.
 */
export function withUnfinished(results: readonly CheckResult[], catalog: readonly Check[], contract: Contract): CheckResult[] {
  const done = new Set(results.map((r) => r.id));
  const unfinished = catalog
    .filter((c) => !done.has(c.id))
    .map((c): CheckResult => ({ ...describeCheck(c, contract), verdict: 'not-verified', reason: 'the run was interrupted before this check finished', cause: 'interrupted', category: 'interrupted', durationMs: 0 }));
  return [...results, ...unfinished];
}

/** The report of the checks that ran; also a partial one when a run is cut short or crashes. */
export function partialReport(
  head: Omit<ReportHead, 'durationMs' | 'interrupted'>,
  results: readonly CheckResult[],
  startedAt: Date,
  interrupted: boolean,
  shard?: ReportHead['shard'],
): Report {
  return redactDeep(buildReport({ ...head, durationMs: Date.now() - startedAt.getTime(), interrupted, ...(shard && { shard }) }, [...results]));
}

export function reportHead(config: Config, contract: Contract, startedAt: Date, env: NodeJS.ProcessEnv = process.env): Omit<ReportHead, 'durationMs' | 'interrupted'> {
  return redactDeep({
    schemaVersion: 1,
    tool: { name: TOOL.name, version: TOOL.version },
    spec: {
      path: contract.path.startsWith(ROOT) ? contract.path.slice(ROOT.length) : contract.path,
      version: contract.version,
      sha256: contract.sha256,
      errorTexts: documentedErrorTexts(contract),
    },
    target: {
      name: config.target.name,
      url: config.target.url,
      bundledMock: config.target.bundledMock,
      profile: config.target.profile,
      credentials: Object.fromEntries(
        Object.entries(config.target.credentials).map(([role, variable]) => [role, { variable, set: Boolean(env[variable]) }]),
      ),
    },
    options: { strict: config.strict, ...(config.requireComplete && { requireComplete: true }), concurrency: config.concurrency, timeoutMs: config.http.timeoutMs },
    ...((config.selection.only.length > 0 || config.selection.skip.length > 0 || (config.selection.operations?.length ?? 0) > 0) && { selection: config.selection }),
    ...(config.catalogChecks !== undefined && { catalogChecks: config.catalogChecks }),
    clauses: contract.clauses.map(({ id, level, quote, source }) => ({ id, level, quote, source })),
    startedAt: startedAt.toISOString(),
  } as const);
}

/** Redacts vitest's task tree and errors in place as the run ends, before the blob reporter serialises them. */
const blobRedactor: Reporter = {
  onTestRunEnd: (modules, errors) => {
    const seen = new WeakSet<object>();
    for (const m of modules) redactInPlace((m as unknown as { task: object }).task, seen); // what the blob reporter serialises (internal in the types)
    redactInPlace(errors, seen);
  },
};

/**
 * Rebuilds one report from the blobs of sharded runs (`--shard i/n` on each machine, the
 * `blobs/` directories gathered into one): vitest replays them into our Collector. Every shard
 * of the same count must be there, from the same tool, spec, target and options.
 */
export async function mergeBlobs(dir: string): Promise<Report> {
  const abs = resolve(dir);
  let names: string[];
  try {
    names = readdirSync(abs);
  } catch {
    throw new UsageError(`cannot read the blob directory ${dir}`);
  }
  const shards = names.map((n) => n.match(/^blob-(\d+)-(\d+)\.json$/));
  const bad = names.find((_, i) => !shards[i]);
  if (bad !== undefined) throw new UsageError(`${dir} must hold only the blob-<i>-<n>.json files of --shard runs; found ${bad}`);
  const count = Number(shards[0]?.[2]);
  if (!count || shards.some((m) => Number(m![2]) !== count)) throw new UsageError(`${dir} must hold the blobs of one sharded run (all of the same shard count)`);
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !shards.some((m) => Number(m![1]) === i));
  if (missing.length) throw new UsageError(`${dir} lacks the blobs of shard ${missing.map((i) => `${i}/${count}`).join(', ')}`);

  const collector = new Collector();
  const vitest = await createVitest('test', { ...SUITES, reporters: [collector] }, { logLevel: 'silent', clearScreen: false });
  try {
    await vitest.mergeReports(abs);
  } finally {
    await vitest.close();
  }
  process.exitCode = undefined;
  const heads = collector.heads;
  if (!heads.length) throw new UsageError(`the blobs in ${dir} hold no conformance run`);
  const same = (h: ReportHead) => JSON.stringify([h.tool, h.spec, h.target.name, h.options]);
  const other = heads.find((h) => same(h) !== same(heads[0]!));
  if (other) throw new UsageError(`the blobs in ${dir} come from different runs (tool, spec, target or options differ: ${heads[0]!.target.name} and ${other.target.name})`);
  const start = Math.min(...heads.map((h) => Date.parse(h.startedAt)));
  const end = Math.max(...heads.map((h) => Date.parse(h.startedAt) + h.durationMs));
  const head: ReportHead = { ...heads[0]!, startedAt: new Date(start).toISOString(), durationMs: end - start, interrupted: heads.some((h) => h.interrupted) };
  // Every check of the run's catalog (each shard carries it) is in some shard's results: none vanishes in a merge.
  // (An interrupted shard's unfinished checks are in the report as such.)
  const got = new Set(collector.results.map((r) => r.id));
  const lost = [...collector.catalog.keys()].filter((id) => !got.has(id));
  if (lost.length && head.interrupted) {
    const reason = 'the run was interrupted before this check finished';
    for (const id of lost) collector.results.push({ ...collector.catalog.get(id)!, verdict: 'not-verified', expected: '(not run)', reason, cause: 'interrupted', category: 'interrupted', durationMs: 0 });
  } else if (lost.length) throw new UsageError(`the merged run is incomplete: check ${lost[0]} is in the run's catalog but no shard reported it${lost.length > 1 ? ` (and ${lost.length - 1} more: ${lost.slice(1, 4).join(', ')}${lost.length > 4 ? ', …' : ''})` : ''}`);
  delete head.shard; // the merged report is the whole run
  if (!head.selection) delete head.catalogChecks;
  return redactDeep(buildReport(head, collector.results));
}
