// One run, as the programmatic API (app/index.ts) and the command (app/command.ts, from its flags)
// call it: from its options (core/config.ts RunOptions) to the exit code and the report. Exit codes:
// 0 conformant, 1 not conformant, 2 could not run, 3 inconclusive, 130 interrupted. Every line it
// prints goes to the run's own writers (RunIO.print), redacted on the way by core/secrets.ts.
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
import { loadEnvFile, positiveNumber, REPORTERS, reportOutputs, resolveConfig, type Config, type RunOptions } from '../core/config.js';
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

/** What a run ends with: the exit code, and the report when one was made. */
export interface Outcome {
  code: number;
  report?: Report;
}

// [reports] what ends a run: drift, views, console summary.
/** What happens after the report: the history (--history) and, under GitHub Actions, annotations. */
interface After {
  history?: { dir: string; keep: number };
  annotate: boolean;
}

/** The history and its length (the directory is checked writable with the report directory's, before the run). */
function afterOf(options: RunOptions, env: NodeJS.ProcessEnv): After {
  if (options.historyKeep !== undefined && options.history === undefined) throw new UsageError('--history-keep needs --history DIR');
  const annotate = env.GITHUB_ACTIONS === 'true';
  if (options.history === undefined) return { annotate };
  return { history: { dir: options.history, keep: positiveNumber('history-keep', options.historyKeep ?? 100) }, annotate };
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
 * A value the caller holds and passes to the run (RunIO.state), never module state.
 */
export interface RunState {
  phase: { kind: 'setup' } | { kind: 'running'; partial: (exitCode: number) => string[] } | { kind: 'reported'; exitCode: number };
}

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

/** Where a run reads its keys and writes its lines. */
export interface RunIO {
  /** Aborting it stops the run: the checks that finished are reported, marked interrupted. */
  signal?: AbortSignal;
  /** Where the run is, kept up to date for the caller (app/cli.ts: a signal or a crash). */
  state?: RunState;
  /** Where the keys are read (by variable name); the process's environment if not given. Never written to. */
  env?: NodeJS.ProcessEnv;
  /**
   * Where this run's lines go, each redacted first (core/secrets.ts): the command passes the
   * console's writers, the API the caller's. None: the run prints nothing.
   */
  print?: Lines;
}

/** A run (or list, plan, compare, merge of shards, print of the config) from its options. */
export async function run(options: RunOptions, io: RunIO = {}): Promise<Outcome> {
  const state: RunState = io.state ?? { phase: { kind: 'setup' } };
  const lines = redacting(io.print);
  if (options.compare) return compare(options.compare, options.reportDir ?? 'reports', lines);
  // The keys come from this environment (a copy for the bundled mock's defaults), never from module state: runs side by side stay apart.
  const env = { ...(io.env ?? process.env) };
  if (options.envFile !== undefined) loadEnvFile(options.envFile, true, env);
  // Known as secrets before anything can echo input back (a key pasted as the target, say).
  for (const name of Object.values(KEY_VARS)) addSecret(name, env[name]);
  const baseline = options.baseline === undefined ? undefined : { path: options.baseline, report: loadReport(options.baseline) };
  const after = afterOf(options, env);
  if (options.mergeReports !== undefined) {
    // The target, spec and options come from the blobs: this machine needs no key, only redaction.
    const dir = options.reportDir ?? 'reports';
    prepareReportDir(dir);
    if (after.history) checkOutputDir(after.history.dir, [HISTORY_FILE], 'history directory');
    const unlock = lockReportDir(dir, lines.err);
    try {
      return finish(await mergeBlobs(options.mergeReports), lines, { dir, outputs: reportOutputs(options, dir), baseline, after, quiet: options.output === 'quiet' });
    } finally {
      unlock();
    }
  }
  const config = resolveConfig(options, env);
  if (options.printConfig) {
    for (const line of printedConfig(config, env, options.configFile)) lines.out(line);
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
  if (options.list) {
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
    io.signal?.addEventListener('abort', () => shown.stop(), { once: true });
    const report = await runSuites(config, contract, catalog, {
      env,
      onResult: (r) => {
        ran.push(r);
        if (io.signal?.aborted) return;
        if (config.output === 'verbose') for (const line of exchangeLines(r)) shown.print(line);
        const line = progressLine(r);
        if (line) shown.print(line);
      },
      ...(io.signal && { signal: io.signal }),
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
