// The `conformance` command. Exit codes: 0 conformant, 1 not conformant, 2 could not run,
// 3 inconclusive, 130 interrupted. Every line it prints passes through src/secrets.ts.
import { accessSync, constants, mkdirSync } from 'node:fs';
import { progressLine, summaryLines, writeReports } from '../reporters/index.js';
import { helpText, KEY_VARS, loadEnvFile, parseCli, resolveConfig, type Config, type KeyRole } from './config.js';
import { EXIT, UsageError } from './errors.js';
import { closeAgents, send } from './http.js';
import { DEFAULT_KEYS, startMock, type RunningMock } from './mock/server.js';
import { planLines } from './plan.js';
import { runSuites, TOOL } from './run.js';
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

/** One unauthenticated request: a target that cannot be reached at all ends the run with exit 2. */
async function preflight(config: Config): Promise<void> {
  try {
    await send({ method: 'GET', url: new URL(`${config.target.url}/directory`), headers: [] }, config.http);
  } catch (e) {
    throw new UsageError(`cannot reach target ${config.target.url}: ${(e as Error).message}`);
  }
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
  loadEnvFile(values['env-file'] ?? '.env', values['env-file'] !== undefined);
  const config = resolveConfig(values);
  const contract = await loadContract(config.specPath);
  // --- safety: --plan lists every request and sends nothing (no mock, no preflight, no report)
  if (config.plan) {
    for (const line of planLines(config, contract)) out(line);
    return EXIT.conformant;
  }
  // --- end safety
  prepareReportDir(config.reportDir);
  const mock = config.target.bundledMock ? await startBundledMock(config) : undefined;
  try {
    await preflight(config);
    out(`${TOOL.name} ${TOOL.version} — checking ${config.target.url}${mock ? ' (bundled reference mock)' : ''} against spec ${contract.version}`);
    let cancel: (() => Promise<void>) | undefined;
    const stop = () => {
      err('interrupted: finishing the report with the checks that ran…');
      void cancel?.();
    };
    process.once('SIGINT', stop).once('SIGTERM', stop);
    const report = await runSuites(config, contract, {
      onResult: (r) => {
        const line = progressLine(r);
        if (line) out(line);
      },
      onStart: (c) => (cancel = c),
    });
    process.off('SIGINT', stop).off('SIGTERM', stop);
    const files = writeReports(report, config.reportDir);
    for (const line of summaryLines(report, files)) out(line);
    return report.summary.exitCode;
  } finally {
    await mock?.close();
    await closeAgents();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    err(e instanceof UsageError ? `error: ${e.message}` : `internal error: ${(e as Error)?.message ?? String(e)}`);
    process.exitCode = e instanceof UsageError ? e.code : EXIT.couldNotRun;
  },
);
