// `ffmpeg-api-conformance proxy --upstream URL ...`: the passive validation proxy (app/proxy.ts)
// from the command line. It runs until --stop-after N exchanges, --duration S, or SIGINT/SIGTERM,
// then writes the reports and exits with their code (0, 1, 3); a second signal exits at once.
import { parseArgs } from 'node:util';
import { loadEnvFile } from '../core/config.js';
import { EXIT, UsageError } from '../core/errors.js';
import { startProxy } from './proxy.js';
import type { Lines } from '../core/secrets.js';

const OPTIONS = {
  upstream: { type: 'string', description: 'the server the traffic goes to (http(s)://host[:port][/base]); required' },
  port: { type: 'string', description: 'the port the proxy listens on (default 4020; 0: any free port)' },
  host: { type: 'string', description: 'the address it listens on (default 127.0.0.1)' },
  'report-dir': { type: 'string', description: 'where the reports are written (default reports)' },
  'stop-after': { type: 'string', description: 'stop after this many exchanges' },
  duration: { type: 'string', description: 'stop after this many seconds' },
  'report-interval': { type: 'string', description: 'write the reports every this many seconds while running (default 10; 0: only at the end)' },
  timeout: { type: 'string', description: "per exchange, for the upstream's whole answer, in seconds (default 60)" },
  spec: { type: 'string', description: 'the contract to judge against (default: the bundled spec/openapi.yaml)' },
  'env-file': { type: 'string', description: 'the .env file to read (default .env)' },
  strict: { type: 'boolean', description: 'SHOULD failures make the verdict non-conformant too' },
  'require-complete': { type: 'boolean', description: 'checks the traffic did not exercise make the exit code 3' },
  'allow-insecure-http': { type: 'boolean', description: 'forward to a plain-http upstream outside loopback (its keyed requests are client findings)' },
  insecure: { type: 'boolean', description: "do not verify the upstream's TLS certificate" },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
} as const;

export const PROXY_HELP = [
  'Usage: ffmpeg-api-conformance proxy --upstream URL [options]',
  '',
  'Forwards every request to the upstream and every answer back, unchanged, and judges each exchange',
  "against the contract: the caller's side (client findings) and the server's (server findings).",
  'Keys to recognise: FFMPEG_API_KEY, FFMPEG_API_QUOTA_EXCEEDED_KEY, FFMPEG_API_REVOKED_KEY (environment or .env).',
  'Stops on --stop-after, --duration, SIGINT or SIGTERM; then writes the reports and exits 0, 1 or 3.',
  '',
  'Options:',
  ...Object.entries(OPTIONS).map(([name, o]) => `  ${`${'short' in o ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ' <value>' : ''}`.padEnd(32)} ${o.description}`),
].join('\n');

const number = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`--${name} must be a number of 0 or more, got "${v}"`);
  return n;
};

/** Runs the proxy until it stops; resolves to the exit code. */
export async function proxyMain(argv: string[], print: Lines, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: Object.fromEntries(Object.entries(OPTIONS).map(([k, o]) => [k, { type: o.type, ...('short' in o && { short: o.short }) }])), strict: true, allowPositionals: false }));
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split('\n')[0]} (see proxy --help)`);
  }
  const v = values as Record<string, string | boolean | undefined>;
  if (v.help) {
    print.out(PROXY_HELP);
    return EXIT.conformant;
  }
  if (typeof v.upstream !== 'string') throw new UsageError('proxy needs --upstream URL (see proxy --help)');
  const runEnv = { ...env };
  loadEnvFile((v['env-file'] as string | undefined) ?? '.env', v['env-file'] !== undefined, runEnv);
  const abort = new AbortController();
  let signals = 0;
  const onSignal = () => {
    if (++signals > 1) process.exit(EXIT.interrupted);
    print.err('stopping: writing the reports of the traffic seen (again to stop at once)');
    abort.abort();
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  const str = (k: string) => v[k] as string | undefined;
  const proxy = await startProxy({
    upstream: v.upstream,
    port: number('port', str('port')) ?? 4020,
    ...(str('host') !== undefined && { host: str('host') }),
    ...(str('report-dir') !== undefined && { reportDir: str('report-dir') }),
    stopAfter: number('stop-after', str('stop-after')),
    durationSeconds: number('duration', str('duration')),
    reportIntervalSeconds: number('report-interval', str('report-interval')),
    timeoutSeconds: number('timeout', str('timeout')),
    ...(str('spec') !== undefined && { spec: str('spec') }),
    strict: v.strict === true,
    requireComplete: v['require-complete'] === true,
    allowInsecureHttp: v['allow-insecure-http'] === true,
    insecure: v.insecure === true,
    env: runEnv,
    signal: abort.signal,
    print,
  });
  const report = await proxy.done;
  return report.summary.exitCode;
}
