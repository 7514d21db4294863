// The programmatic API (package exports "."): the same run as the command, from code.
//   import { runConformance, startMock } from 'ffmpeg-api-conformance';
//   const mock = await startMock();
//   const report = await runConformance({ target: mock.url, keys: DEFAULT_KEYS, reportDir: 'reports' });
//   report.summary.verdict, report.summary.exitCode, report.checks
import { run } from './api.js';
import { UsageError } from '../core/errors.js';
import { KEY_VARS, type KeyRole } from '../core/targets.js';

export type { Report } from '../reporters/model.js';
export type { CheckResult } from '../core/results.js';
export { DEFAULT_KEYS, FAULTS, startMock, type Fault, type MockOptions, type RunningMock } from '../mock/server.js';
export { EXIT, UsageError } from '../core/errors.js';
// The passive validation proxy: forwards traffic to an upstream and judges every exchange (app/proxy.ts).
//   const proxy = await startProxy({ upstream: 'http://127.0.0.1:4010', reportDir: 'reports' });
//   ... the team's own tests send to proxy.url ...
//   const report = await proxy.stop();   // report.summary.exitCode as the command's
export { startProxy, type ProxyOptions, type RunningProxy } from './proxy.js';

export interface ConformanceOptions {
  /** A URL, a name from the targets file, or "mock" (the default: the bundled reference mock, in-process). */
  target?: string;
  /** The whole header values ("Basic ..."); each one unset here is read from the environment (FFMPEG_API_KEY, ...). */
  keys?: Partial<Record<KeyRole, string>>;
  /** SHOULD failures make the run non-conformant too. */
  strict?: boolean;
  requireComplete?: boolean;
  /** Where report.json, report.md, report.html and junit.xml are written (default "reports"). */
  reportDir?: string;
  /** Check ids, clause ids, groups or levels, with globs (as --only / --skip). */
  only?: string[];
  skip?: string[];
  spec?: string;
  targets?: string;
  /** An earlier report.json: each check is classified against it (a regression makes the exit code 1). */
  baseline?: string;
  /** A directory keeping the history of runs (as --history): the run is added, history.md and history.html are written beside the report. */
  history?: string;
  /** How many runs the history keeps (default 100). */
  historyKeep?: number;
  concurrency?: number;
  timeoutSeconds?: number;
  deadlineSeconds?: number;
  maxRequests?: number;
  allowWrites?: boolean;
  allowInsecureHttp?: boolean;
  insecure?: boolean;
  /** A .env file to read (none by default). */
  envFile?: string;
  /** Aborting it stops the run; the report holds the checks that finished, marked interrupted. */
  signal?: AbortSignal;
  /** The command's console lines (redacted), if wanted; the API prints nothing by default. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

/**
 * Runs the suites against one target, writes the reports and resolves to the report model
 * (report.summary.exitCode is the command's exit code). Bad input or an unreachable target rejects
 * with a UsageError (its message is the command's one-line error).
 */
export async function runConformance(options: ConformanceOptions = {}): Promise<import('../reporters/model.js').Report> {
  const { keys, signal, onLine, ...runOptions } = options;
  // The run's own environment: the process's, with the keys given here; nothing is set in process.env.
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const role of Object.keys(KEY_VARS) as KeyRole[]) if (keys?.[role] !== undefined) env[KEY_VARS[role]] = keys[role];
  const { report } = await run(runOptions, {
    env,
    ...(signal && { signal }),
    ...(onLine && { print: { out: (l) => onLine(l, 'stdout'), err: (l) => onLine(l, 'stderr') } }),
  });
  if (!report) throw new UsageError('the run made no report');
  return report;
}
