// Runs the vitest suites against one target and returns the report model.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createVitest, type Reporter } from 'vitest/node';
import { Collector } from '../reporters/collector.js';
import { summarize, type CheckResult, type Report } from '../reporters/model.js';
import type { Config, RunContext } from './config.js';
import { redactDeep } from './secrets.js';
import type { Contract } from './spec.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const TOOL = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string; version: string };

export interface RunHooks {
  onResult?: (r: CheckResult) => void;
  /** Aborting it stops the run: checks not finished are left out, the report is marked interrupted. */
  signal?: AbortSignal;
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

export async function runSuites(config: Config, contract: Contract, hooks: RunHooks = {}): Promise<Report> {
  const startedAt = new Date();
  const collector = new Collector(hooks.onResult);
  const provided: RunContext = { target: config.target, http: config.http, contract };
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
    if (running) cancel();
  };
  hooks.signal?.addEventListener('abort', onAbort, { once: true });
  const vitest = await withoutVitestExitHandlers(() => createVitest(
    'test',
    {
      config: false,
      root: ROOT,
      include: ['suites/**/*.conformance.ts'],
      reporters: [collector, gate],
      watch: false,
      // The checks are stateless HTTP requests: one worker without per-file isolation keeps the
      // start-up cost low and lets all files share the per-run request memo in suites/support.ts.
      pool: 'threads',
      isolate: false,
      maxWorkers: 1,
      fileParallelism: false,
      maxConcurrency: config.concurrency,
      testTimeout: config.http.timeoutMs * 3 + 5_000,
      provide: { run: provided },
    },
    { logLevel: 'silent', clearScreen: false },
  ));
  try {
    if (!hooks.signal?.aborted) await vitest.start();
  } finally {
    hooks.signal?.removeEventListener('abort', onAbort);
    await vitest.close();
  }
  process.exitCode = undefined; // vitest sets it; the verdict decides ours
  return buildReport(config, contract, collector.results, startedAt, collector.interrupted || Boolean(hooks.signal?.aborted));
}

/** The report model for the checks that ran; also used for a partial report when a run is cut short. */
export function buildReport(config: Config, contract: Contract, results: readonly CheckResult[], startedAt: Date, interrupted: boolean): Report {
  const checks = [...results].sort((a, b) => a.id.localeCompare(b.id));
  return redactDeep({
    schemaVersion: 1,
    tool: { name: TOOL.name, version: TOOL.version },
    spec: { path: contract.path.startsWith(ROOT) ? contract.path.slice(ROOT.length) : contract.path, version: contract.version, sha256: contract.sha256 },
    target: {
      name: config.target.name,
      url: config.target.url,
      bundledMock: config.target.bundledMock,
      profile: config.target.profile,
      credentials: Object.fromEntries(
        Object.entries(config.target.credentials).map(([role, variable]) => [role, { variable, set: Boolean(process.env[variable]) }]),
      ),
    },
    options: { strict: config.strict, concurrency: config.concurrency, timeoutMs: config.http.timeoutMs },
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    interrupted,
    summary: summarize(checks, config.strict, interrupted),
    checks,
  } satisfies Report);
}
