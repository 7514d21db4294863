#!/usr/bin/env node
// The `conformance` command (bin ffmpeg-api-conformance): flags, signals, a crash, a closed pipe.
// The flags become a run's options in app/command.ts, and the run is the API's (app/api.ts); both
// are loaded (vitest and all) only once the flags ask for more than --help or --version.
import { helpText, parseCli, swallowedByNpm } from '../core/config.js';
import { EXIT, UsageError } from '../core/errors.js';
import { err, out } from '../core/secrets.js';
import { TOOL } from './tool.js';

/** Where the run is (app/api.ts keeps it up to date); before it is loaded, still setting up. */
const state: import('./api.js').RunState = { phase: { kind: 'setup' } };
const phase = () => state.phase;

/** How long the first signal lets the run wind down (requests cut, workers closed) before the report is written from here. */
const STOP_GRACE_MS = 700;

/**
 * Ctrl-C / SIGTERM. The first stops the run: requests in flight are cut, checks not finished are
 * reported as interrupted, the mock and the workers are closed, the report is written; if that
 * takes longer than STOP_GRACE_MS, the report of the checks that finished is written from here and
 * the process exits. A second signal does that at once. Once the reports are written, a signal
 * ends the process with their exit code. Reports are written whole (temporary file, then rename).
 */
function onSignals(abort: AbortController): void {
  const handler = () => {
    const now = phase();
    if (now.kind === 'reported') process.exit(now.exitCode);
    if (now.kind === 'setup') {
      err('interrupted before any check ran: no report');
      process.exit(EXIT.interrupted);
    }
    if (abort.signal.aborted) {
      now.partial(EXIT.interrupted);
      process.exit(EXIT.interrupted);
    }
    err('interrupted: stopping, then writing the report of the checks that finished (again to stop at once)');
    abort.abort();
    setTimeout(handler, STOP_GRACE_MS).unref();
  };
  process.on('SIGINT', handler).on('SIGTERM', handler);
}

async function main(argv: string[]): Promise<number> {
  // `ffmpeg-api-conformance mock ...`: the reference mock, serving until stopped.
  if (argv[0] === 'mock') {
    await (await import('../mock/main.js')).serveMock(argv.slice(1));
    return EXIT.conformant;
  }
  const swallowed = swallowedByNpm();
  if (swallowed) throw new UsageError(swallowed);
  // `proxy`: the passive validation proxy, a mode of its own (app/proxy-command.ts).
  if (argv[0] === 'proxy') return (await import('./proxy-command.js')).proxyMain(argv.slice(1), { out, err });
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
  // The run's lines go to the console: stdout, stderr, and on a terminal the progress line redrawn in place.
  const print = { out, err, ...(process.stderr.isTTY && { terminal: (text: string) => void process.stderr.write(text) }) };
  const command = await import('./command.js');
  return (await command.execute(values, { signal: abort.signal, print, state })).code;
}

/** The checks that ran, in a report that ends as the process will (exit 2), when the suites were running. */
function savePartial(): string {
  try {
    const now = phase();
    const files = now.kind === 'running' ? now.partial(EXIT.couldNotRun) : [];
    return files.length ? ` (the checks that ran are in ${files[0]})` : '';
  } catch {
    return ''; // the report cannot be written either; the error line is all there is
  }
}

/**
 * An unexpected exception: one line, and the checks that ran so far are not lost. After the
 * reports were written (closing the mock), the process ends with their exit code.
 */
function crash(e: unknown): never {
  const saved = savePartial();
  err(`internal error: ${String((e as Error)?.message ?? e).split('\n')[0]}${saved}`);
  const now = phase();
  process.exit(now.kind === 'reported' ? now.exitCode : EXIT.couldNotRun);
}
process.on('uncaughtException', crash).on('unhandledRejection', crash);
// Output piped into a reader that stopped (`| head`): end quietly, as any command-line tool does.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') crash(e);
  process.exit(process.exitCode ?? 0);
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (!(e instanceof UsageError)) crash(e);
    err(`error: ${e.message}${savePartial()}`);
    process.exitCode = e.code;
  },
);
