// One run of the `conformance` command, shared by the command (app/cli.ts) and the programmatic
// API (app/index.ts): from parsed flags to the exit code and the report. Exit codes: 0 conformant,
// 1 not conformant, 2 could not run, 3 inconclusive, 130 interrupted. Every line it prints goes to
// the run's own writers (ExecuteOptions.print), redacted on the way by core/secrets.ts.
import { readdirSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { annotationLines } from '../reporters/annotations.js';
import { withDrift } from '../reporters/drift.js';
import { progressLine, summaryLines, verdictLine, VIEWS, writeReports } from '../reporters/index.js';
import { buildMatrix, matrixLines, writeMatrix } from '../reporters/matrix.js';
import { withFailingSince, writeTrend } from '../reporters/trend.js';
import type { Report } from '../reporters/model.js';
import { loadReport } from '../reporters/schema.js';
import { entryOf, HISTORY_FILE, mixNote, readHistory, saveRun } from '../reporters/history.js';
import { loadEnvFile, positiveNumber, type parseCli, REPORTERS, reportOutputs, resolveConfig, type Config } from '../core/config.js';
import { loadConfigFile, underFlags } from '../core/configfile.js';
import { EXIT, UsageError } from '../core/errors.js';
import { checkOutputDir } from '../core/files.js';
import { lockReportDir } from '../core/lock.js';
import { DEFAULT_KEYS, startMock, type RunningMock } from '../mock/server.js';
import { planLines } from './plan.js';
import { preflight } from './preflight.js';
import { blobFile, mergeBlobs, partialReport, reportHead, runSuites, withUnfinished } from './run.js';
import { addSecret, redacting, type Lines } from '../core/secrets.js';
import { loadContract, type Contract } from '../core/spec.js';
import { TOOL } from './tool.js';
import { buildCatalog, type Check } from '../suites/catalog.js';
import { describeCheck } from '../suites/engine.js';
import { listLines, select, selectionFlags, unknownOperation, unmatched } from '../suites/select.js';
import type { CheckResult } from '../core/results.js';
import { KEY_VARS, type KeyRole } from '../core/targets.js';

/** Before the first request: the reports (and a shard's blob) can be written there (core/files.ts). */
function prepareReportDir(dir: string, shard?: Config['shard']): void {
  checkOutputDir(dir, [...Object.keys(VIEWS), ...(shard ? [relative(dir, blobFile(dir, shard))] : [])]);
}

/** The bundled mock serves the run's spec (--spec) and accepts the configured keys, or its documented defaults for those unset. */
async function startBundledMock(config: Config, contract: Contract, env: NodeJS.ProcessEnv): Promise<RunningMock> {
  for (const role of Object.keys(KEY_VARS) as KeyRole[]) {
    const name = KEY_VARS[role];
    if (!env[name]) {
      env[name] = DEFAULT_KEYS[role];
      addSecret(name, DEFAULT_KEYS[role]);
    }
  }
  const mock = await startMock({ contract, keys: { valid: env[KEY_VARS.valid], quota: env[KEY_VARS.quota], revoked: env[KEY_VARS.revoked] } });
  config.target.url = mock.url;
  return mock;
}

export type CliValues = ReturnType<typeof parseCli>;

/** What a run ends with: the exit code, and the report when one was made. */
export interface Outcome {
  code: number;
  report?: Report;
}

// [reports] flags that cannot go together, and what ends a run: drift, views, console summary.
const EXCLUSIVE = [
  ['compare', 'merge-reports'], ['compare', 'shard'], ['compare', 'baseline'], ['compare', 'target'],
  ['merge-reports', 'shard'], ['merge-reports', 'target'], ['shard', 'baseline'],
  // a merge takes the target, spec and options from the shards; a comparison sends nothing
  ['merge-reports', 'plan'], ['merge-reports', 'strict'], ['merge-reports', 'max-requests'], ['compare', 'plan'],
  // a shard is a part of a run: the history records the merged run
  ['history', 'shard'], ['history', 'compare'],
] as const;

/** What happens after the report: the history (--history) and, under GitHub Actions, annotations. */
interface After {
  history?: { dir: string; keep: number };
  annotate: boolean;
}

/** --history DIR and --history-keep N (the directory is checked writable with the report directory's, before the run). */
function afterOf(values: CliValues, env: NodeJS.ProcessEnv): After {
  if (values['history-keep'] !== undefined && values.history === undefined) throw new UsageError('--history-keep needs --history DIR');
  const annotate = env.GITHUB_ACTIONS === 'true';
  if (values.history === undefined) return { annotate };
  return { history: { dir: values.history, keep: positiveNumber('history-keep', values['history-keep'] ?? '100', 100_000) }, annotate };
}

/** How a run ends: where its views go, the baseline its drift is against, the history, and --quiet. */
interface Ending {
  dir: string;
  /** view file name → path (--reporter, --output-file.NAME) */
  outputs: Record<string, string>;
  baseline: { path: string; report: Report } | undefined;
  after: After;
  quiet: boolean;
}

/** Writes the views of the report (with its drift against the baseline, if any) and prints the summary (--quiet: its verdict line). */
function finish(run: Report, lines: Lines, { dir, outputs, baseline, after, quiet }: Ending): Outcome {
  let report = baseline ? withDrift(run, baseline.report, baseline.path) : run;
  // Drift against another target or contract compares unlike things: say so, once.
  const other = baseline && [
    baseline.report.target.name !== run.target.name && `target ${baseline.report.target.name}, not ${run.target.name}`,
    baseline.report.spec.sha256 !== run.spec.sha256 && `another spec (sha256 ${baseline.report.spec.sha256.slice(0, 12)})`,
  ].filter(Boolean);
  if (other?.length) lines.err(`warning: the baseline ${baseline!.path} is of ${other.join(' and ')}: its drift compares unlike runs`);
  // An interrupted run holds only some checks: the history keeps whole runs.
  if (after.history && report.interrupted) lines.err(`history: the run was interrupted; it is not added to ${after.history.dir}`);
  const history = after.history && !report.interrupted ? readHistory(after.history.dir) : undefined;
  if (history?.note) lines.err(history.note);
  const mixed = history && mixNote(after.history!.dir, history.entries, report);
  if (mixed) lines.err(mixed);
  // "still failing since #6": the history, this run included
  if (history) report = withFailingSince(report, [...history.entries, entryOf(report, (history.entries.at(-1)?.run ?? 0) + 1)]);
  const files = writeReports(report, dir, outputs);
  if (history) files.push(...writeTrend(saveRun(after.history!.dir, history.entries, report, after.history!.keep), dir));
  if (after.annotate) for (const line of annotationLines(report)) lines.out(line);
  for (const line of quiet ? [verdictLine(report)] : summaryLines(report, files)) lines.out(line);
  return { code: report.summary.exitCode, report };
}

/** --compare: the matrix of existing reports; exit 1 when any check diverges between targets. */
function compare(paths: string[], dir: string, lines: Lines): Outcome {
  if (paths.length < 2) throw new UsageError('--compare needs at least two report.json files');
  const matrix = buildMatrix(paths.map((path) => ({ path, report: loadReport(path) })));
  prepareReportDir(dir);
  for (const line of matrixLines(matrix, writeMatrix(matrix, dir))) lines.out(line);
  return { code: matrix.summary.divergent ? EXIT.notConformant : EXIT.conformant };
}
// [/reports]

const HEARTBEAT_MS = 5_000;

/** --verbose: a check's request and answer as it ends (lines.out redacts them). */
function exchangeLines(r: CheckResult): string[] {
  const ex = r.exchange;
  if (!ex) return [`  · ${r.id} ${r.verdict}${r.reason ? `: ${r.reason}` : ''}`];
  const res = ex.response;
  const body = res ? res.body.replace(/\s+/g, ' ').slice(0, 160) : '';
  return [
    `  · ${r.id} ${r.verdict}`,
    `      → ${ex.request.method} ${ex.request.url}${ex.request.headers.length ? `  ${ex.request.headers.join('  ')}` : ''}`,
    res ? `      ← ${res.status}${res.contentType ? ` ${res.contentType}` : ''} ${body}${res.bodyTruncated ? ' (truncated)' : ''} (${res.ms} ms)` : `      ← no answer${r.message ? `: ${r.message.split('\n')[0]}` : ''}`,
  ];
}

/** --print-config: the options the run would use, from flags, environment, .env, config file and defaults; the keys' values are redacted on the way out. */
function printedConfig(config: Config, env: NodeJS.ProcessEnv, file: string | undefined): string[] {
  const keys = Object.fromEntries(Object.values(config.target.credentials).map((name) => [name, env[name] ?? null]));
  const { http, ...rest } = config;
  const shown = { configFile: file ?? null, ...rest, target: { ...config.target, url: config.target.url || (config.target.bundledMock ? 'mock' : '') }, http: { timeoutMs: http.timeoutMs, insecure: http.insecure, allowInsecureHttp: http.allowInsecureHttp }, keys };
  return JSON.stringify(shown, null, 2).split('\n');
}

/** A target that gives no HTTP answer at all: no check can run, but the report still says why (exit 2). */
function writeUnreachable(config: Config, contract: Contract, catalog: Check[], reason: string, env: NodeJS.ProcessEnv): void {
  const startedAt = new Date();
  const checks: CheckResult[] = catalog.map((c) => ({ ...describeCheck(c, contract), verdict: 'error', message: reason, durationMs: 0 }));
  const report = partialReport(reportHead(config, contract, startedAt, env), checks, startedAt, false);
  writeReports(endedAs(report, EXIT.couldNotRun), config.reportDir, config.outputs);
}

/**
 * Where the run is, for a signal or a crash (app/cli.ts): before any check (nothing to report),
 * while the suites run (`partial` writes a report of the checks that ran so far, ending as the
 * process will end), or after the reports were written (the process ends with their exit code).
 */
export const state: { phase: { kind: 'setup' } | { kind: 'running'; partial: (exitCode: number) => string[] } | { kind: 'reported'; exitCode: number } } = { phase: { kind: 'setup' } };

/** A report of the checks that ran, ending as the process ends: interrupted (130) or could not run (2). */
function endedAs(report: Report, exitCode: number): Report {
  const verdict = exitCode === EXIT.interrupted ? 'interrupted' : 'could-not-run';
  return { ...report, interrupted: exitCode === EXIT.interrupted, summary: { ...report.summary, verdict, conformant: false, exitCode } };
}

/**
 * How far the run is. On a terminal: one line on stderr, drawn at once and kept up to date every
 * second (a failure printed as it happens goes above it). Otherwise (CI logs, the API): a line
 * every 5 s, so a quick run prints none. No escape codes: the line is redrawn with a carriage return.
 */
function progress(lines: Lines, of: string, done: () => number, startedAt: Date): { print: (line: string) => void; stop: () => void } {
  const text = () => `… ${done()}${of} checks done, ${Math.round((Date.now() - startedAt.getTime()) / 1000)} s`;
  const terminal = lines.terminal;
  if (!terminal) {
    const heartbeat = setInterval(() => lines.err(text()), HEARTBEAT_MS).unref();
    return { print: lines.out, stop: () => clearInterval(heartbeat) };
  }
  let width = 0;
  const clear = () => terminal(`\r${' '.repeat(width)}\r`);
  const draw = () => {
    const t = text();
    terminal(`\r${t.padEnd(width)}`);
    width = Math.max(width, t.length);
  };
  draw();
  const ticker = setInterval(draw, 1_000).unref();
  return {
    print: (line) => {
      clear();
      lines.out(line);
      draw();
    },
    stop: () => {
      clearInterval(ticker);
      clear();
    },
  };
}

/** Flags that cannot go together: a one-line error (exit 2). */
function checkExclusive(values: CliValues): void {
  for (const [a, b] of EXCLUSIVE) if (values[a] !== undefined && values[b] !== undefined) throw new UsageError(`--${a} cannot be combined with --${b}`);
}

export interface ExecuteOptions {
  /** Aborting it stops the run: the checks that finished are reported, marked interrupted. */
  signal?: AbortSignal;
  /** Where the keys are read (by variable name); the process's environment if not given. Never written to. */
  env?: NodeJS.ProcessEnv;
  /** false: do not read a .env file (the API's default). */
  envFile?: false;
  /** false: do not look for a config file (the API's default: its options are all it takes). */
  configFile?: false;
  /**
   * Where this run's lines go, each redacted first (core/secrets.ts): the command passes the
   * console's writers, the API the caller's. None: the run prints nothing.
   */
  print?: Lines;
}

/** A run (or --list, --plan, --compare, --merge-reports) from parsed flags. */
export async function execute(flags: CliValues, options: ExecuteOptions = {}): Promise<Outcome> {
  checkExclusive(flags);
  const lines = redacting(options.print);
  if (flags.compare) return compare(flags.compare, flags['report-dir'] ?? 'reports', lines);
  // The config file's options go under the flags; its target under FFMPEG_API_BASE_URL too (below, once .env is read).
  const file = options.configFile === false ? undefined : loadConfigFile(flags.config);
  const values = underFlags(flags, file?.options);
  // The keys come from this environment (a copy for the bundled mock's defaults), never from module state: runs side by side stay apart.
  const env = { ...(options.env ?? process.env) };
  if (options.envFile !== false) loadEnvFile(values['env-file'] ?? '.env', values['env-file'] !== undefined, env);
  if (values.target === undefined && env.FFMPEG_API_BASE_URL === undefined && typeof file?.options.target === 'string') values.target = [file.options.target];
  // Known as secrets before anything can echo input back (a key pasted as --target, say).
  for (const name of Object.values(KEY_VARS)) addSecret(name, env[name]);
  const baseline = values.baseline === undefined ? undefined : { path: values.baseline, report: loadReport(values.baseline) };
  const after = afterOf(values, env);
  if (values['merge-reports'] !== undefined) {
    // The target, spec and options come from the blobs: this machine needs no key, only redaction.
    const dir = values['report-dir'] ?? 'reports';
    prepareReportDir(dir);
    if (after.history) checkOutputDir(after.history.dir, [HISTORY_FILE], 'history directory');
    const unlock = lockReportDir(dir, lines.err);
    try {
      return finish(await mergeBlobs(values['merge-reports']), lines, { dir, outputs: reportOutputs(values, dir), baseline, after, quiet: values.quiet === true });
    } finally {
      unlock();
    }
  }
  const config = resolveConfig(values, env);
  if (values['print-config']) {
    for (const line of printedConfig(config, env, file?.path)) lines.out(line);
    return { code: EXIT.conformant };
  }
  const contract = await loadContract(config.specPath, { onNote: (note) => lines.err(`note: ${note}`) });
  let catalog: Check[];
  try {
    catalog = buildCatalog(contract); // the suite's checks cite the spec's clauses and operations; built once per run
  } catch (e) {
    throw new UsageError(`invalid spec ${config.specPath}: ${(e as Error).message}`);
  }
  const selection = config.selection;
  const typo = unmatched(catalog, [...selection.only, ...selection.skip]);
  if (typo.length) throw new UsageError(`--only/--skip ${typo[0]} matches no check id, clause, group or level (see --list)`);
  const wrongOperation = unknownOperation(contract, selection.operations ?? []);
  if (wrongOperation) throw new UsageError(wrongOperation);
  const whole = catalog.length;
  catalog = select(catalog, selection);
  if (!catalog.length) throw new UsageError('--only/--skip/--operation leave no check to run');
  if (selectionFlags(selection).length || config.shard) config.catalogChecks = whole;
  if (values.list) {
    for (const line of listLines(catalog, config.target, contract)) lines.out(line);
    return { code: EXIT.conformant };
  }
  const quiet = config.output === 'quiet';
  if (selectionFlags(selection).length && !quiet) lines.out(`Selection: ${catalog.length} checks (${selectionFlags(selection).join(' ')})`);
  // --- safety: --plan lists every request and sends nothing (no mock, no preflight, no report)
  if (config.plan) {
    for (const line of planLines(config, contract, catalog, env)) lines.out(line);
    return { code: EXIT.conformant };
  }
  // --- end safety
  prepareReportDir(config.reportDir, config.shard);
  if (after.history) checkOutputDir(after.history.dir, [HISTORY_FILE], 'history directory');
  const unlock = lockReportDir(config.reportDir, lines.err);
  let mock: RunningMock | undefined;
  try {
    clearStale(config);
    mock = config.target.bundledMock ? await startBundledMock(config, contract, env) : undefined;
    const { keyRejected, throttle, requests } = await preflight(config, contract, env).catch((e: unknown) => {
      if (e instanceof UsageError) writeUnreachable(config, contract, catalog, e.message, env);
      throw e;
    });
    if (keyRejected) lines.err(`warning: ${keyRejected}`);
    if (!quiet) lines.out(`${TOOL.name} ${TOOL.version} — checking ${config.target.url}${mock ? ' (bundled reference mock)' : ''} against spec ${contract.version}`);
    const ran: CheckResult[] = [];
    const startedAt = new Date();
    state.phase = {
      kind: 'running',
      partial: (exitCode) => {
        const interrupted = exitCode === EXIT.interrupted;
        if (!ran.length && !interrupted) return [];
        const checks = interrupted && !config.shard ? withUnfinished(ran, catalog, contract) : ran;
        const report = endedAs(partialReport(reportHead(config, contract, startedAt, env), checks, startedAt, interrupted), exitCode);
        const files = writeReports(report, config.reportDir, config.outputs);
        // Stopped without waiting for the run to wind down: its summary, as a run that ends prints it (a crash prints its one line instead).
        if (interrupted) for (const line of quiet ? [verdictLine(report)] : summaryLines(report, files)) lines.out(line);
        return files;
      },
    };
    const shown = quiet ? { print: () => {}, stop: () => {} } : progress(lines, config.shard ? '' : ` of ${catalog.length}`, () => ran.length, startedAt);
    // Once stopped, nothing more is printed as checks end: the report says what finished.
    options.signal?.addEventListener('abort', () => shown.stop(), { once: true });
    const report = await runSuites(config, contract, catalog, {
      env,
      onResult: (r) => {
        ran.push(r);
        if (options.signal?.aborted) return;
        if (config.output === 'verbose') for (const line of exchangeLines(r)) shown.print(line);
        const line = progressLine(r);
        if (line) shown.print(line);
      },
      ...(options.signal && { signal: options.signal }),
      startedAt,
      ...(keyRejected && { keyRejected }),
      preflightThrottle: throttle,
      preflightRequests: requests,
    }).finally(() => shown.stop());
    const outcome = finish(report, lines, { dir: config.reportDir, outputs: config.outputs, baseline, after, quiet });
    state.phase = { kind: 'reported', exitCode: outcome.code };
    return outcome;
  } finally {
    await mock?.close();
    unlock();
  }
}

/**
 * What an earlier run left in the report directory that this one does not write: the report
 * files of reporters not chosen now, and the blobs (a sharded run keeps those of its own split).
 */
function clearStale(config: Config): void {
  const written = new Set(Object.values(config.outputs).map((f) => resolve(f)));
  for (const name of Object.values(REPORTERS)) {
    const file = resolve(config.reportDir, name);
    if (!written.has(file)) rmSync(file, { force: true });
  }
  const blobs = join(config.reportDir, 'blobs');
  let names: string[] = [];
  try {
    names = readdirSync(blobs);
  } catch {
    return;
  }
  for (const name of names) {
    const split = /^blob-\d+-(\d+)\.json$/.exec(name)?.[1];
    if (!config.shard || Number(split) !== config.shard.count) rmSync(join(blobs, name), { force: true });
  }
}
