// Configuration: command-line flags > environment > .env file > config file > defaults. The flags
// (OPTIONS, parseCli) are the command's; a run takes RunOptions (optionsFromFlags maps one to the other).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import dotenv from 'dotenv';
import { UsageError } from './errors.js';
import { readInput } from './files.js';
import { isLoopback } from './http/errors.js';
import type { HttpOptions } from './http/transport.js';
import { addSecret } from './secrets.js';
import { DEFAULT_SPEC } from './spec.js';
import { nearest } from './suggest.js';
import { DEFAULT_TARGETS, isTargetName, namedTarget, plainHttpUrlOf, PROFILES, type Profile, KEY_VARS, type KeyRole } from './targets.js';

const OPTIONS = {
  target: { type: 'string', value: 'url|name|mock', multiple: true, description: 'a URL, a name from the targets file, or "mock" for the bundled reference mock', default: undefined },
  'report-dir': { type: 'string', value: 'dir', description: 'where the report is written', default: 'reports' },
  strict: { type: 'boolean', description: 'SHOULD failures make the run non-conformant too', default: false },
  'require-complete': { type: 'boolean', description: 'a run whose judged checks were not all verified (a key or capability not configured) exits 3 instead of 0', default: false },
  spec: { type: 'string', value: 'file', description: 'the contract to check against', default: 'spec/openapi.yaml (bundled)' },
  'env-file': { type: 'string', value: 'file', description: 'the .env file to read', default: '.env' },
  timeout: { type: 'string', value: 'seconds', description: 'per-request timeout in seconds', default: '10' },
  concurrency: { type: 'string', value: 'n', description: 'requests in flight at once', default: '8' },
  'allow-writes': { type: 'boolean', description: 'send creating or consuming requests (unsafe methods) with the valid key to a non-loopback target; a target declaring writes: false never gets one', default: false },
  'allow-insecure-http': { type: 'boolean', description: 'allow sending keys over plain http to a non-loopback host', default: false },
  insecure: { type: 'boolean', description: 'do not verify TLS certificates', default: false },
  // [reports] drift, shards, multi-target matrix
  baseline: { type: 'string', value: 'report.json', description: 'an earlier report.json: classify every check against it (regression, fixed, ...); a regression exits 1', default: undefined },
  shard: { type: 'string', value: 'i/n', description: 'run only shard i/n of the suite files; also writes a vitest blob to <report-dir>/blobs/', default: undefined },
  'merge-reports': { type: 'string', value: 'dir', description: 'run nothing: merge the blobs of all shards found in this directory into one report', default: undefined },
  history: { type: 'string', value: 'dir', description: 'a directory keeping the history of runs (history.jsonl): this run is added, and history.html and history.md are written beside the report', default: undefined },
  'history-keep': { type: 'string', value: 'n', description: 'how many runs the history keeps', default: '100' },
  compare: { type: 'string', value: 'report.json', multiple: true, description: 'run nothing: compare report.json files (repeat: --compare a.json --compare b.json) into matrix.json and matrix.md in --report-dir', default: undefined },
  // [/reports]
  // --- safety (issue 4): plan, budget, deadline, named targets
  plan: { type: 'boolean', description: 'print every request the run would send, and send nothing', default: false },
  'max-requests': { type: 'string', value: 'n', description: 'send at most this many requests (preflight included); the checks left are not-verified', default: undefined },
  deadline: { type: 'string', value: 'seconds', description: 'deadline for the whole run in seconds; checks without an answer by then end as error', default: '120' },
  targets: { type: 'string', value: 'file', description: 'the file of named targets for --target NAME', default: 'targets.json (bundled)' },
  // --- end safety
  // --- selection
  only: { type: 'string', value: 'glob', multiple: true, description: 'run only the checks matching (repeatable; globs over check id, clause id, group or level)', default: undefined },
  operation: { type: 'string', value: 'operationId', multiple: true, description: "run only the checks that send to this operation (repeatable; the spec's operationIds, as listDirectories)", default: undefined },
  skip: { type: 'string', value: 'glob', multiple: true, description: 'leave out the checks matching, and their requests (repeatable; globs as --only)', default: undefined },
  list: { type: 'boolean', description: 'print every check with its clause, level, judge and what it needs; send nothing', default: false },
  // --- daily use: profile, reporters, output, config file
  profile: { type: 'string', value: 'direct|key-injecting-proxy', description: "the target's profile, without a targets file (wins over the targets file's)", default: undefined },
  reporter: { type: 'string', value: 'json,md,html,junit', multiple: true, description: 'the reports to write (comma-separated or repeated)', default: 'json,md,html,junit' },
  'output-file.json': { type: 'string', value: 'path', description: 'where report.json goes', default: '<report-dir>/report.json' },
  'output-file.md': { type: 'string', value: 'path', description: 'where report.md goes', default: '<report-dir>/report.md' },
  'output-file.html': { type: 'string', value: 'path', description: 'where report.html goes', default: '<report-dir>/report.html' },
  'output-file.junit': { type: 'string', value: 'path', description: 'where junit.xml goes', default: '<report-dir>/junit.xml' },
  quiet: { type: 'boolean', short: 'q', description: 'print the verdict line only (errors and warnings still go to stderr)', default: false },
  verbose: { type: 'boolean', short: 'v', description: "print each check's request and answer as it ends (redacted)", default: false },
  config: { type: 'string', value: 'file', description: `the config file (default: ffmpeg-api-conformance.config.json or the "ffmpeg-api-conformance" key of package.json, searched upwards)`, default: undefined },
  'print-config': { type: 'boolean', description: 'print the resolved options (keys redacted) and exit; send nothing', default: false },
  // --- end daily use
  help: { type: 'boolean', short: 'h', description: 'show this help', default: false },
  version: { type: 'boolean', description: 'print the version', default: false },
} as const;

export interface Target {
  name: string;
  /** Filled in once the bundled mock is listening. */
  url: string;
  bundledMock: boolean;
  profile: Profile;
  /** Credentials by environment variable name, never by value. */
  credentials: Record<KeyRole, string>;
  capabilities: { writes: boolean; quotaKey: boolean };
  /** The same host on plain http, for the HTTPS checks (https targets only). */
  plainHttpUrl?: string;
}

export interface Config {
  target: Target;
  reportDir: string;
  strict: boolean;
  requireComplete: boolean;
  /** --only / --skip patterns and --operation ids (suites/select.ts). */
  selection: { only: string[]; skip: string[]; operations?: string[] };
  /** The checks of the whole catalog, set by the command when the run is narrowed (a selection or a shard). */
  catalogChecks?: number;
  specPath: string;
  concurrency: number;
  http: HttpOptions;
  /** --shard i/n: run only this shard of the suite files. */
  shard?: { index: number; count: number };
  plan: boolean;
  maxRequests?: number;
  deadlineMs: number;
  /** The reports to write (--reporter), each to its path (--output-file.NAME, else in reportDir): view file name → path. */
  outputs: Record<string, string>;
  /** --quiet: the verdict line only; --verbose: each check's request and answer. */
  output: 'quiet' | 'normal' | 'verbose';
}

/** --reporter names → the report files they write. */
export const REPORTERS = { json: 'report.json', md: 'report.md', html: 'report.html', junit: 'junit.xml' } as const;
type ReporterName = keyof typeof REPORTERS;

/** The files a run writes: every report of `reporter` (all four by default), at `outputFiles[NAME]` or in the report directory. */
export function reportOutputs(options: Pick<RunOptions, 'reporter' | 'outputFiles'>, reportDir: string): Record<string, string> {
  const names = (options.reporter ?? ['json,md,html,junit']).flatMap((r) => r.split(',')).map((r) => r.trim());
  const unknown = names.find((n) => !Object.hasOwn(REPORTERS, n));
  if (unknown !== undefined) {
    const near = nearest(unknown, Object.keys(REPORTERS));
    throw new UsageError(`--reporter ${unknown} is not a reporter: json, md, html, junit${near ? ` (did you mean ${near}?)` : ''}`);
  }
  const files = options.outputFiles ?? {};
  for (const n of Object.keys(REPORTERS) as ReporterName[])
    if (files[n] !== undefined && !names.includes(n)) throw new UsageError(`--output-file.${n} is given but --reporter leaves out ${n}`);
  return Object.fromEntries([...new Set(names as ReporterName[])].map((n) => [REPORTERS[n], files[n] ?? join(reportDir, REPORTERS[n])]));
}

/**
 * What a run takes (app/api.ts): the programmatic API passes it as it is, the command maps its
 * flags and the config file's options to it (optionsFromFlags). Times in seconds; each field
 * unset takes its default (the environment's FFMPEG_API_BASE_URL, then "mock", for the target).
 */
export interface RunOptions {
  /** A URL, a name from the targets file, or "mock" (the bundled reference mock, in-process). */
  target?: string;
  reportDir?: string;
  strict?: boolean;
  requireComplete?: boolean;
  spec?: string;
  targets?: string;
  /** A .env file to read (it must exist); the command reads ./.env itself when there is one. */
  envFile?: string;
  timeoutSeconds?: number;
  concurrency?: number;
  deadlineSeconds?: number;
  maxRequests?: number;
  allowWrites?: boolean;
  allowInsecureHttp?: boolean;
  insecure?: boolean;
  baseline?: string;
  shard?: { index: number; count: number };
  /** Run nothing: merge the blobs of the shards in this directory into one report. */
  mergeReports?: string;
  history?: string;
  historyKeep?: number;
  /** Run nothing: compare these report.json files into a matrix. */
  compare?: string[];
  plan?: boolean;
  list?: boolean;
  printConfig?: boolean;
  /** Check ids, clause ids, groups or levels, with globs. */
  only?: string[];
  skip?: string[];
  /** operationIds of the spec: only the checks that send to them. */
  operation?: string[];
  profile?: string;
  /** Reporter names (json, md, html, junit; comma-separated entries are split). */
  reporter?: string[];
  /** Where each report goes, by reporter name (default: in reportDir). */
  outputFiles?: Partial<Record<ReporterName, string>>;
  output?: 'quiet' | 'normal' | 'verbose';
  /** The config file the options came from (printConfig shows it). */
  configFile?: string;
}

/** The limits of the numeric options, by flag: the largest value, and the unit the tool keeps (ms for times). */
const LIMITS = { concurrency: [256, 1], timeout: [600, 1000], deadline: [86_400, 1000], 'max-requests': [1_000_000, 1], 'history-keep': [100_000, 1] } as const;

/** A numeric flag's text as the number RunOptions takes, checked as the run checks it (the error quotes the text given). */
function flagNumber(flag: keyof typeof LIMITS, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  positiveNumber(flag, raw);
  return Number(raw);
}

/** The command's flags (with the config file's options under them, core/configfile.ts) as the options of a run. */
export function optionsFromFlags(values: ReturnType<typeof parseCli>): RunOptions {
  if ((values.target?.length ?? 0) > 1)
    throw new UsageError('--target was given more than once: run each target on its own (--report-dir apart), then compare the reports with --compare a/report.json --compare b/report.json');
  if (values.quiet && values.verbose) throw new UsageError('--quiet cannot be combined with --verbose');
  const shard = values.shard?.match(/^(\d+)\/(\d+)$/);
  if (values.shard !== undefined && !shard) throw new UsageError(`--shard must be i/n with 1 <= i <= n, got "${values.shard}"`);
  const outputFiles = Object.fromEntries((Object.keys(REPORTERS) as ReporterName[]).flatMap((n) => (values[`output-file.${n}`] === undefined ? [] : [[n, values[`output-file.${n}`]]])));
  const options: RunOptions = {
    target: values.target?.[0],
    reportDir: values['report-dir'],
    strict: values.strict,
    requireComplete: values['require-complete'],
    spec: values.spec,
    targets: values.targets,
    envFile: values['env-file'],
    timeoutSeconds: flagNumber('timeout', values.timeout),
    concurrency: flagNumber('concurrency', values.concurrency),
    deadlineSeconds: flagNumber('deadline', values.deadline),
    maxRequests: flagNumber('max-requests', values['max-requests']),
    allowWrites: values['allow-writes'],
    allowInsecureHttp: values['allow-insecure-http'],
    insecure: values.insecure,
    baseline: values.baseline,
    ...(shard && { shard: { index: Number(shard[1]), count: Number(shard[2]) } }),
    mergeReports: values['merge-reports'],
    history: values.history,
    historyKeep: flagNumber('history-keep', values['history-keep']),
    compare: values.compare,
    plan: values.plan,
    list: values.list,
    printConfig: values['print-config'],
    only: values.only,
    skip: values.skip,
    operation: values.operation,
    profile: values.profile,
    reporter: values.reporter,
    ...(Object.keys(outputFiles).length && { outputFiles }),
    output: values.quiet ? 'quiet' : values.verbose ? 'verbose' : undefined,
  };
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as RunOptions;
}

export function parseCli(argv: string[]) {
  const options = Object.fromEntries(
    Object.entries(OPTIONS).map(([k, o]) => [k, { type: o.type, ...('short' in o ? { short: o.short } : {}), ...('multiple' in o ? { multiple: o.multiple } : {}) }]),
  ) as { [K in keyof typeof OPTIONS]: Omit<(typeof OPTIONS)[K], 'description' | 'default'> };
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    const unknown = (e as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && /'(-{1,2}[^'=]+)/.exec((e as Error).message)?.[1];
    const near = unknown ? nearest(unknown.replace(/^-+/, ''), Object.keys(OPTIONS)) : undefined;
    if (unknown) throw new UsageError(`unknown flag ${unknown}${near ? ` (did you mean --${near}?)` : ''} (see --help)`);
    throw new UsageError(`${(e as Error).message.split('\n')[0]} (see --help)`);
  }
}

/**
 * Flags written before the `--` of `npm run conformance -- ...` go to npm, which only warns
 * ("Unknown cli config") and hands them on as npm_config_* variables: the run would silently not
 * be strict, say. The flag it finds there, refused by the command (npm's own --help, --version and
 * --only mean something to npm itself).
 */
export function swallowedByNpm(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.npm_lifecycle_event === undefined) return undefined;
  const flags = Object.keys(OPTIONS).filter((name) => !['help', 'version', 'only'].includes(name) && env[`npm_config_${name.replace(/-/g, '_')}`] !== undefined);
  if (!flags.length) return undefined;
  const list = flags.map((f) => `--${f}`).join(' ');
  return `${list} went to npm, not to the command (npm only warns "Unknown cli config"): put ${flags.length > 1 ? 'them' : 'it'} after "--", as in npm run conformance -- ${list}`;
}

export function helpText(): string {
  const rows = Object.entries(OPTIONS).map(([name, o]) => {
    const flag = `${'short' in o ? `-${o.short}, ` : '    '}--${name}${'value' in o ? ` <${o.value}>` : ''}`;
    const def = o.default !== undefined && o.default !== false ? ` (default: ${o.default})` : '';
    return `  ${flag.padEnd(46)} ${o.description}${def}`;
  });
  return [
    'Usage: ffmpeg-api-conformance [options]      (from a clone: npm run conformance -- [options])',
    '       ffmpeg-api-conformance mock [options] the reference mock on a port (mock --help)',
    '       ffmpeg-api-conformance proxy --upstream URL [options]   (the passive proxy: see proxy --help)',
    '',
    'Checks a target against the FFmpeg API authentication contract and writes a report.',
    'Without --target it runs against the bundled reference mock, offline.',
    '',
    'Options:',
    ...rows,
    '',
    'Environment (or .env): FFMPEG_API_KEY (the whole header value, "Basic ..."),',
    '  FFMPEG_API_QUOTA_EXCEEDED_KEY, FFMPEG_API_REVOKED_KEY, FFMPEG_API_BASE_URL (default target).',
    'Precedence: flags > environment > .env > config file > defaults.',
    'Exit codes:',
    '  0    CONFORMANT: every applicable MUST check (with --strict, SHOULD too) verified, none failed;',
    '       or CONFORMANT (partial): none failed, but a key or capability was not configured (the gaps are listed)',
    '  1    NOT CONFORMANT (a judged check failed), or a regression against --baseline (with --compare, a divergence)',
    '  2    could not run (bad input, unreachable target)',
    '  3    INCONCLUSIVE: a judged check got no answer (network, throttling), the budget ran out, the target refused',
    '       the valid key; or a partial run with --require-complete',
    '  130  interrupted',
  ].join('\n');
}

/** Loads the .env file into `env` (the run's environment) without overriding what it already has. */
export function loadEnvFile(path: string, explicit: boolean, env: NodeJS.ProcessEnv = process.env): void {
  if (!existsSync(path)) {
    if (explicit) throw new UsageError(`cannot read env file ${path}`);
    return;
  }
  const text = readInput(path, 'env file').toString('utf8'); // a regular file of bounded size (core/files.ts)
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    if (!/^\s*(export\s+)?[A-Za-z_][A-Za-z0-9_.-]*\s*=/.test(line))
      throw new UsageError(`${path}:${i + 1}: not a NAME=value line`);
  });
  dotenv.config({ path, quiet: true, override: false, processEnv: env as Record<string, string> });
}

/** The shortest token the redaction can find reliably in any output (core/secrets.ts matches runs of 6 or more). */
const MIN_TOKEN = 8;

/**
 * Why a key cannot give an honest run, or undefined: it must be the dashboard's whole header value
 * (authentication-guide.txt:5-8), one line of Latin-1 without control characters (a CRLF .env file
 * leaves a CR), with a token long enough to be redacted safely.
 */
export function keyProblem(value: string): string | undefined {
  if (/[\x00-\x1f\x7f]/.test(value)) return 'holds a control character (a line break or CR, e.g. from a CRLF .env file): remove it';
  if (/[^\x00-\xff]/.test(value)) return 'holds a character outside Latin-1, which cannot travel in an HTTP header';
  if (!/^Basic \S/.test(value)) return 'must be the whole header value from the dashboard, starting with "Basic " (authentication-guide.txt:5-8)';
  if (value.slice('Basic '.length).trim().length < MIN_TOKEN) return `has a token shorter than ${MIN_TOKEN} characters: too short to be a dashboard key, and too short to be redacted safely from reports`;
  return undefined;
}

/** A numeric option (its flag's text, or the number given to the API), scaled to the unit the tool uses (ms, or 1 for counts), at least 1 and whole. */
export function positiveNumber(flag: keyof typeof LIMITS, value: string | number): number {
  const [max, scale] = LIMITS[flag];
  const raw = String(value);
  // Decimal digits only: Number() would also read "0x10", "1e3", " 8" and "".
  const n = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
  const scaled = Math.round(n * scale);
  if (!Number.isFinite(n) || scaled < 1 || n > max || (scale === 1 && !Number.isInteger(n)))
    throw new UsageError(`--${flag} must be ${scale === 1 ? 'a whole number' : 'a number of seconds'} from ${1 / scale} to ${max}, got "${raw}"`);
  return scaled;
}

/** The configuration of a run from its options and environment: checked, with every default filled in. */
export function resolveConfig(values: RunOptions, env: NodeJS.ProcessEnv = process.env): Config {
  if (values.profile !== undefined && !(PROFILES as readonly string[]).includes(values.profile)) {
    const near = nearest(values.profile, PROFILES);
    throw new UsageError(`--profile ${values.profile} is not a profile: ${PROFILES.join(', ')}${near ? ` (did you mean ${near}?)` : ''}`);
  }
  const rawTarget = values.target ?? env.FFMPEG_API_BASE_URL ?? 'mock';
  const bundledMock = rawTarget === 'mock';
  const entry = isTargetName(rawTarget) ? namedTarget(rawTarget, values.targets ?? DEFAULT_TARGETS) : undefined;
  const rawUrl = entry?.url ?? rawTarget;
  let url = '';
  if (!bundledMock) {
    let parsed: URL;
    try {
      parsed = new URL(rawUrl);
    } catch {
      throw new UsageError(`invalid target URL "${rawUrl}" (expected http(s)://host[:port], "mock" or a name in targets.json)`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw new UsageError(`invalid target URL "${rawUrl}": only http and https are supported`);
    if (parsed.username || parsed.password) throw new UsageError('the target URL must not carry credentials; use FFMPEG_API_KEY');
    if (parsed.search || parsed.hash) throw new UsageError('the target URL must be a base URL without query or fragment');
    url = parsed.href.replace(/\/+$/, '');
  }
  const target: Target = {
    name: entry ? rawTarget : bundledMock ? 'mock' : url,
    url,
    bundledMock,
    profile: (values.profile as Profile | undefined) ?? entry?.profile ?? 'direct',
    credentials: { ...KEY_VARS, ...entry?.keys },
    capabilities: {
      // A declared `writes: false` is final, loopback or not (a port-forward to production is loopback).
      writes: entry?.capabilities?.writes ?? (bundledMock || isLoopback(new URL(url).hostname) || values.allowWrites === true),
      quotaKey: entry?.capabilities?.quotaKey ?? true,
    },
    ...(!bundledMock && { plainHttpUrl: plainHttpUrlOf(new URL(url), entry?.plainHttpUrl) }),
  };
  for (const role of Object.keys(target.credentials) as KeyRole[]) {
    const name = target.credentials[role];
    const value = env[name];
    addSecret(name, value);
    const problem = value === undefined ? undefined : keyProblem(value);
    if (problem) throw new UsageError(`${name} ${problem}`);
  }
  // A plan or a list sends nothing, and a key-injecting proxy is called without a key: none needs one.
  if (!bundledMock && !values.plan && !values.list && target.profile === 'direct' && !env[target.credentials.valid])
    throw new UsageError(`${target.credentials.valid} is not set: put the whole header value ("Basic ...") in the environment or .env`);
  if (!bundledMock && target.profile === 'direct') {
    const u = new URL(url);
    if (u.protocol === 'http:' && !isLoopback(u.hostname) && !values.allowInsecureHttp)
      throw new UsageError(`refusing to send API keys over plain http to ${u.host}; use https, or --allow-insecure-http for a trusted network`);
  }
  const shard = values.shard;
  if (shard && !(Number.isInteger(shard.index) && Number.isInteger(shard.count) && shard.index >= 1 && shard.index <= shard.count))
    throw new UsageError(`--shard must be i/n with 1 <= i <= n, got "${shard.index}/${shard.count}"`);
  const concurrency = positiveNumber('concurrency', values.concurrency ?? 8);
  const deadlineMs = positiveNumber('deadline', values.deadlineSeconds ?? 120);
  const maxRequests = values.maxRequests === undefined ? undefined : positiveNumber('max-requests', values.maxRequests);
  return {
    ...(shard && { shard: { index: shard.index, count: shard.count } }),
    target,
    reportDir: values.reportDir ?? 'reports',
    strict: values.strict === true,
    requireComplete: values.requireComplete === true,
    selection: { only: values.only ?? [], skip: values.skip ?? [], ...(values.operation?.length && { operations: values.operation }) },
    specPath: values.spec ?? DEFAULT_SPEC,
    concurrency,
    http: {
      timeoutMs: positiveNumber('timeout', values.timeoutSeconds ?? 10),
      maxBodyBytes: 256 * 1024,
      insecure: values.insecure === true,
      concurrency,
      // the last fifth of the deadline (at most 5 s) is kept for judging and writing the reports (suites/bounds.ts keeps both bounded)
      deadlineAt: Date.now() + deadlineMs - Math.min(5_000, deadlineMs / 5),
      allowInsecureHttp: values.allowInsecureHttp === true,
    },
    plan: values.plan === true,
    maxRequests,
    deadlineMs,
    outputs: reportOutputs(values, values.reportDir ?? 'reports'),
    output: values.output ?? 'normal',
  };
}
