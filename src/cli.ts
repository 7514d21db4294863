#!/usr/bin/env node
// The `conformance` command (bin ffmpeg-api-conformance): flags, signals, a crash, a closed pipe.
// The run itself is src/command.ts, which the programmatic API (src/index.ts) shares.
import { execute, checkExclusive, partial } from './command.js';
import { helpText, parseCli, swallowedByNpm } from './config.js';
import { EXIT, UsageError } from './errors.js';
import { TOOL } from './run.js';
import { err, out } from './secrets.js';

/**
 * Ctrl-C / SIGTERM. The first stops the run: checks not finished are left out, the mock and the
 * workers are closed, the report is written. A second writes the checks that ran and exits now.
 */
function onSignals(abort: AbortController): void {
  const handler = () => {
    if (abort.signal.aborted || !partial.write) {
      // A second signal, or one before any check started (the preflight): nothing to wait for.
      if (!partial.write) err('interrupted before any check ran: no report');
      partial.write?.();
      process.exit(EXIT.interrupted);
    }
    err('interrupted: stopping, then writing the report of the checks that finished (again to stop at once)');
    abort.abort();
  };
  process.on('SIGINT', handler).on('SIGTERM', handler);
}


async function main(argv: string[]): Promise<number> {
  const swallowed = swallowedByNpm();
  if (swallowed) throw new UsageError(swallowed);
  const values = parseCli(argv);
  if (values.help) {
    out(helpText());
    return EXIT.conformant;
  }
  if (values.version) {
    out(TOOL.version);
    return EXIT.conformant;
  }
  checkExclusive(values);
  const abort = new AbortController();
  onSignals(abort);
  return (await execute(values, { signal: abort.signal })).code;
}

/** An unexpected exception: one line, and the checks that ran so far are not lost. */
function crash(e: unknown): never {
  let saved = '';
  try {
    const files = partial.write?.() ?? [];
    if (files.length) saved = ` (the checks that ran are in ${files[0]})`;
  } catch {
    // the report cannot be written either; the error line below is all there is
  }
  err(`internal error: ${String((e as Error)?.message ?? e).split('\n')[0]}${saved}`);
  process.exit(EXIT.couldNotRun);
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
    err(`error: ${e.message}`);
    process.exitCode = e.code;
  },
);
