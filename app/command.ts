// The `conformance` command's run (app/cli.ts): its parsed flags, with the config file's options
// under them and the environment's (and .env's) in between, become the options of one run, which
// the API runs (app/api.ts). Precedence: flags > environment and .env > config file > defaults.
import { loadEnvFile, optionsFromFlags, type parseCli } from '../core/config.js';
import { loadConfigFile, underFlags } from '../core/configfile.js';
import { UsageError } from '../core/errors.js';
import { addSecret, type Lines } from '../core/secrets.js';
import { KEY_VARS } from '../core/targets.js';
import { run, type Outcome, type RunState } from './api.js';

type CliValues = ReturnType<typeof parseCli>;

// [reports] flags that cannot go together
const EXCLUSIVE = [
  ['compare', 'merge-reports'], ['compare', 'shard'], ['compare', 'baseline'], ['compare', 'target'],
  ['merge-reports', 'shard'], ['merge-reports', 'target'], ['shard', 'baseline'],
  // a merge takes the target, spec and options from the shards; a comparison sends nothing
  ['merge-reports', 'plan'], ['merge-reports', 'strict'], ['merge-reports', 'max-requests'], ['compare', 'plan'],
  // a shard is a part of a run: the history records the merged run
  ['history', 'shard'], ['history', 'compare'],
] as const;
// [/reports]

/** Flags that cannot go together: a one-line error (exit 2). */
function checkExclusive(values: CliValues): void {
  for (const [a, b] of EXCLUSIVE) if (values[a] !== undefined && values[b] !== undefined) throw new UsageError(`--${a} cannot be combined with --${b}`);
}

export interface ExecuteOptions {
  /** Aborting it stops the run: the checks that finished are reported, marked interrupted. */
  signal?: AbortSignal;
  /** Where the run is, kept up to date for the caller (app/cli.ts: a signal or a crash). */
  state?: RunState;
  /** Where the keys are read (by variable name); the process's environment if not given. Never written to. */
  env?: NodeJS.ProcessEnv;
  /** false: do not read a .env file. */
  envFile?: false;
  /** false: do not look for a config file. */
  configFile?: false;
  /** Where the run's lines go (the console's writers), each redacted first. */
  print?: Lines;
}

/** A run (or --list, --plan, --compare, --merge-reports, --print-config) from parsed flags. */
export async function execute(flags: CliValues, options: ExecuteOptions = {}): Promise<Outcome> {
  checkExclusive(flags);
  const io = { ...(options.signal && { signal: options.signal }), ...(options.print && { print: options.print }), ...(options.state && { state: options.state }) };
  if (flags.compare) return run(optionsFromFlags(flags), io);
  // The config file's options go under the flags; its target under FFMPEG_API_BASE_URL too (below, once .env is read).
  const file = options.configFile === false ? undefined : loadConfigFile(flags.config);
  const values = underFlags(flags, file?.options);
  const env = { ...(options.env ?? process.env) };
  if (options.envFile !== false) loadEnvFile(values['env-file'] ?? '.env', values['env-file'] !== undefined, env);
  if (values.target === undefined && env.FFMPEG_API_BASE_URL === undefined && typeof file?.options.target === 'string') values.target = [file.options.target];
  // Known as secrets before a flag's value is echoed back in an error (a key pasted as --timeout, say).
  for (const name of Object.values(KEY_VARS)) addSecret(name, env[name]);
  const runOptions = optionsFromFlags(values);
  delete runOptions.envFile; // read above, under the environment
  return run({ ...runOptions, ...(file && { configFile: file.path }) }, { ...io, env });
}
