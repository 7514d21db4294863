// `ffmpeg-api-conformance mock --port N` (from a clone: `npm run mock -- --port N`): the reference
// mock as a standalone local stand-in for the API.
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadEnvFile } from '../core/config.js';
import { EXIT, UsageError } from '../core/errors.js';
import { err, out } from '../core/secrets.js';
import { FAULTS, type Fault } from './faults.js';
import { DEFAULT_KEYS, startMock } from './server.js';
import { loadContract } from '../core/spec.js';
import { KEY_VARS } from '../core/targets.js';

const HELP = `Usage: ffmpeg-api-conformance mock [--port N] [--host ADDR] [--fault NAME ...] [--latency MS]
                        [--tls-cert PEM --tls-key PEM] [--inject-key] [--spec FILE]
       (from a clone: npm run mock -- [options])

Serves the FFmpeg API authentication contract on a local port.
Keys: ${KEY_VARS.valid}, ${KEY_VARS.quota}, ${KEY_VARS.revoked} from the environment or .env;
unset ones default to the guide's example key (valid) and two documented test keys:
With --tls-cert/--tls-key it serves https, and a plain-http port that redirects to it.
With --inject-key it behaves as the API behind a key-injecting backend (the client sends no key).
With --spec it serves that spec (default spec/openapi.yaml): its operations, examples and error answers.
  valid   ${DEFAULT_KEYS.valid}
  quota   ${DEFAULT_KEYS.quota}
  revoked ${DEFAULT_KEYS.revoked}
Faults (each a mistake real servers make, to see the suite catch it; the checks each fails:
test/fixtures/fault-expectations.json):
${Object.entries(FAULTS).map(([k, v]) => `  ${k.padEnd(30)} ${v}`).join('\n')}`;

/** The mock command: serves until Ctrl-C or SIGTERM; bad flags reject with a UsageError. */
export async function serveMock(args: string[]): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        port: { type: 'string', default: '8080' },
        host: { type: 'string', default: '127.0.0.1' },
        fault: { type: 'string', multiple: true, default: [] },
        latency: { type: 'string', default: '0' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'inject-key': { type: 'boolean', default: false },
        spec: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split('\n')[0]} (see --help)`);
  }
  if (values.help) return out(HELP);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0-65535, got "${values.port}"`);
  const latencyMs = Number(values.latency);
  if (!Number.isFinite(latencyMs) || latencyMs < 0) throw new UsageError(`--latency must be a number of milliseconds, got "${values.latency}"`);
  for (const f of values.fault) if (!Object.hasOwn(FAULTS, f)) throw new UsageError(`unknown fault "${f}" (see --help)`);
  if (Boolean(values['tls-cert']) !== Boolean(values['tls-key'])) throw new UsageError('--tls-cert and --tls-key go together');
  let tls: { cert: Buffer; key: Buffer } | undefined;
  try {
    tls = values['tls-cert'] ? { cert: readFileSync(values['tls-cert']), key: readFileSync(values['tls-key']!) } : undefined;
  } catch (e) {
    throw new UsageError(`cannot read the TLS certificate or key: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  loadEnvFile('.env', false);
  const contract = await loadContract(values.spec);
  const mock = await startMock({
    contract,
    port,
    host: values.host,
    latencyMs,
    faults: values.fault as Fault[],
    ...(tls && { tls }),
    injectKey: values['inject-key'],
    keys: { valid: process.env[KEY_VARS.valid], quota: process.env[KEY_VARS.quota], revoked: process.env[KEY_VARS.revoked] },
  }).catch((e: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot listen on ${values.host}:${port}: ${e.code ?? e.message}`);
  });
  out(`reference mock listening on ${mock.url}${mock.plainUrl ? ` (plain http: ${mock.plainUrl})` : ''}${values.fault.length ? ` with faults: ${values.fault.join(', ')}` : ''} (Ctrl-C to stop)`);
  const stop = () => void mock.close().then(() => process.exit(0));
  process.once('SIGINT', stop).once('SIGTERM', stop);
}

/** Run as a script (npm run mock), not imported by the command's `mock` subcommand. */
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url))
  serveMock(process.argv.slice(2)).catch((e: unknown) => {
    err(`error: ${(e as Error).message}`);
    process.exitCode = e instanceof UsageError ? e.code : EXIT.couldNotRun;
  });
