// The `conformance` command. Exit codes: 0 conformant, 1 not conformant, 2 could not run,
// 3 inconclusive, 130 interrupted. Every line it prints passes through src/secrets.ts.
import { accessSync, constants, mkdirSync } from 'node:fs';
import { progressLine, summaryLines, writeReports } from '../reporters/index.js';
import type { CheckResult } from '../reporters/model.js';
import { helpText, KEY_VARS, loadEnvFile, parseCli, resolveConfig, type Config, type KeyRole } from './config.js';
import { EXIT, UsageError } from './errors.js';
import { closeAgents, HarnessError, send } from './http.js';
import { DEFAULT_KEYS, startMock, type RunningMock } from './mock/server.js';
import { buildReport, runSuites, TOOL } from './run.js';
import { addSecret, err, out } from './secrets.js';
import { loadContract } from './spec.js';

function prepareReportDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UsageError(`cannot write the report directory ${dir}`);
  }
}

/** The bundled mock accepts the configured keys, or its documented defaults for those unset. */
async function startBundledMock(config: Config): Promise<RunningMock> {
  for (const role of Object.keys(KEY_VARS) as KeyRole[]) {
    const name = KEY_VARS[role];
    if (!process.env[name]) {
      process.env[name] = DEFAULT_KEYS[role];
      addSecret(name, DEFAULT_KEYS[role]);
    }
  }
  const mock = await startMock({ keys: { valid: process.env[KEY_VARS.valid], quota: process.env[KEY_VARS.quota], revoked: process.env[KEY_VARS.revoked] } });
  config.target.url = mock.url;
  return mock;
}

/**
 * One unauthenticated request: a target that gives no HTTP answer at all (refused, silent, not
 * HTTP, TLS trouble) ends the run with exit 2. One that answers a status and then breaks off its
 * body is reachable: each check then gets its own verdict.
 */
async function preflight(config: Config): Promise<void> {
  try {
    await send({ method: 'GET', url: new URL(`${config.target.url}/directory`), headers: [] }, config.http);
  } catch (e) {
    if (e instanceof HarnessError && e.status !== undefined) return;
    throw new UsageError(`cannot reach target ${config.target.url}: ${(e as Error).message}`);
  }
}

/** While the suites run: writes a report of the checks that ran so far, marked interrupted. */
let writePartial: (() => string[]) | undefined;

/**
 * Ctrl-C / SIGTERM. The first stops the run: checks not finished are left out, the mock and the
 * workers are closed, the report is written. A second writes the checks that ran and exits now.
 */
function onSignals(abort: AbortController): void {
  const handler = () => {
    if (abort.signal.aborted) {
      writePartial?.();
      process.exit(EXIT.interrupted);
    }
    err('interrupted: stopping, then writing the report of the checks that finished (again to stop at once)');
    abort.abort();
  };
  process.on('SIGINT', handler).on('SIGTERM', handler);
}

async function main(argv: string[]): Promise<number> {
  const values = parseCli(argv);
  if (values.help) {
    out(helpText());
    return EXIT.conformant;
  }
  if (values.version) {
    out(TOOL.version);
    return EXIT.conformant;
  }
  const abort = new AbortController();
  onSignals(abort);
  loadEnvFile(values['env-file'] ?? '.env', values['env-file'] !== undefined);
  const config = resolveConfig(values);
  const contract = await loadContract(config.specPath);
  prepareReportDir(config.reportDir);
  const mock = config.target.bundledMock ? await startBundledMock(config) : undefined;
  try {
    await preflight(config);
    out(`${TOOL.name} ${TOOL.version} — checking ${config.target.url}${mock ? ' (bundled reference mock)' : ''} against spec ${contract.version}`);
    const ran: CheckResult[] = [];
    const startedAt = new Date();
    writePartial = () => (ran.length ? writeReports(buildReport(config, contract, ran, startedAt, true), config.reportDir) : []);
    const report = await runSuites(config, contract, {
      onResult: (r) => {
        ran.push(r);
        const line = progressLine(r);
        if (line) out(line);
      },
      signal: abort.signal,
    });
    writePartial = undefined;
    const files = writeReports(report, config.reportDir);
    for (const line of summaryLines(report, files)) out(line);
    return report.summary.exitCode;
  } finally {
    await mock?.close();
    await closeAgents();
  }
}

/** An unexpected exception: one line, and the checks that ran so far are not lost. */
function crash(e: unknown): never {
  let saved = '';
  try {
    const files = writePartial?.() ?? [];
    if (files.length) saved = ` (the checks that ran are in ${files[0]})`;
  } catch {
    // the report cannot be written either; the error line below is all there is
  }
  err(`internal error: ${String((e as Error)?.message ?? e).split('\n')[0]}${saved}`);
  process.exit(EXIT.couldNotRun);
}
process.on('uncaughtException', crash).on('unhandledRejection', crash);

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (!(e instanceof UsageError)) crash(e);
    err(`error: ${e.message}`);
    process.exitCode = e.code;
  },
);
