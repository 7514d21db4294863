// Runs the vitest suites against one target and returns the report model.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createVitest } from 'vitest/node';
import { Collector } from '../reporters/collector.js';
import { summarize, type CheckResult, type Report } from '../reporters/model.js';
import type { Config, RunContext } from './config.js';
import { redactDeep } from './secrets.js';
import type { Contract } from './spec.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const TOOL = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string; version: string };

export interface RunHooks {
  onResult?: (r: CheckResult) => void;
  /** Receives a function that stops the run early; the report then marks it interrupted. */
  onStart?: (cancel: () => Promise<void>) => void;
}

/**
 * How vitest runs the suites, chosen by measurement (`npm run bench`, BENCHMARKS.md "Pool and
 * isolation", 2 cores): threads without isolation was the fastest of the four (2.03 s a run, forks
 * 2.19 s, threads isolated 3.21 s, forks isolated 3.33 s; medians on a busy machine). The checks
 * are stateless HTTP requests: one worker without per-file isolation evaluates suites/support.ts
 * once, so every file shares its per-run request memo and the spec's compiled validators (63
 * requests a run; isolated files re-import it and send 122).
 */
export const POOL = { pool: 'threads', isolate: false, maxWorkers: 1, fileParallelism: false } as const;

export async function runSuites(config: Config, contract: Contract, hooks: RunHooks = {}, pool: { pool: 'threads' | 'forks'; isolate: boolean } = POOL): Promise<Report> {
  const startedAt = new Date();
  const collector = new Collector(hooks.onResult);
  const provided: RunContext = { target: config.target, http: config.http, contract };
  const vitest = await createVitest(
    'test',
    {
      config: false,
      root: ROOT,
      include: ['suites/**/*.conformance.ts'],
      reporters: [collector],
      watch: false,
      ...POOL,
      ...pool,
      maxConcurrency: config.concurrency,
      testTimeout: config.http.timeoutMs * 3 + 5_000,
      provide: { run: provided },
    },
    { logLevel: 'silent', clearScreen: false },
  );
  hooks.onStart?.(async () => {
    collector.interrupted = true;
    await vitest.cancelCurrentRun('keyboard-input');
  });
  try {
    await vitest.start();
  } finally {
    await vitest.close();
  }
  process.exitCode = undefined; // vitest sets it; the verdict decides ours
  const checks = collector.results.sort((a, b) => a.id.localeCompare(b.id));
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
    interrupted: collector.interrupted,
    summary: summarize(checks, config.strict, collector.interrupted),
    checks,
  } satisfies Report);
}
