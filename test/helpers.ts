// Runs the real `conformance` command: in a child process, as a user or CI would (runCli), or the
// built command in this process where the process itself is not under test (runInProcess).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo, type Server } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { validateXML } from 'xmllint-wasm';
import type { Report } from '../reporters/model.js';
import { reportErrors } from '../reporters/schema.js';
import { DEFAULT_KEYS } from '../mock/server.js';
import type { TargetEntry } from '../core/targets.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The environment a run gets: no keys, no colour settings and no GITHUB_ACTIONS (annotations) from the developer's shell or CI, unless given. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('FFMPEG_API_') || k === 'FORCE_COLOR' || k === 'NO_COLOR' || k === 'GITHUB_ACTIONS') delete env[k];
  return { ...env, ...extra };
}

export const MOCK_ENV = {
  FFMPEG_API_KEY: DEFAULT_KEYS.valid,
  FFMPEG_API_QUOTA_EXCEEDED_KEY: DEFAULT_KEYS.quota,
  FFMPEG_API_REVOKED_KEY: DEFAULT_KEYS.revoked,
};

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  dir: string;
  report(): Report;
}

/** A fresh temporary directory, under the test run's root (removed when the run ends; test/global-setup.ts). */
export const tempDir = () => mkdtempSync(join(process.env.CONFORMANCE_TEST_TMP ?? tmpdir(), 'conformance-'));

/**
 * Spawned commands at once in this test worker, at most one per core: a concurrent describe no
 * longer starts five runs (each a vitest of its own) on a 2-core machine. A queued test waits for
 * its slot within its timeout (vitest.config.ts).
 */
const SPAWNS = availableParallelism();
let spawned = 0;
const waiting: Array<() => void> = [];
async function slot(): Promise<() => void> {
  if (spawned >= SPAWNS) await new Promise<void>((resolve) => waiting.push(resolve));
  spawned++;
  return () => {
    spawned--;
    waiting.shift()?.();
  };
}

/** The built command (test/global-setup.ts builds it), as `npm run conformance` and the package's bin run it. */
export const CLI = join(ROOT, 'dist/app/cli.js');
const BUILT = (module: string) => pathToFileURL(join(ROOT, 'dist', module)).href;

/** Spawns the CLI as `npm run conformance` does. The `--` keeps Node 20 from reading `--env-file` itself. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv = cleanEnv(), opts: { cwd?: string; timeoutMs?: number; tty?: boolean; nodeArgs?: string[]; onOutput?: (soFar: { stdout: string; stderr: string }, child: ChildProcess) => void } = {}): Promise<CliRun> {
  const release = await slot();
  const dir = tempDir();
  const hasDir = args.includes('--report-dir');
  const argv = [process.execPath, ...(opts.nodeArgs ?? []), '--', CLI, ...args, ...(hasDir ? [] : ['--report-dir', dir])];
  // tty: on a terminal, as a user at a shell sees it (util-linux script; stdout and stderr both go to stdout).
  const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
  const [command, ...rest] = opts.tty ? ['script', '-qefc', argv.map(quote).join(' '), '/dev/null'] : argv;
  const child = spawn(command!, rest, {
    cwd: opts.cwd ?? dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
    opts.onOutput?.({ stdout, stderr }, child);
  });
  child.stderr.on('data', (d) => {
    stderr += d;
    opts.onOutput?.({ stdout, stderr }, child);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 50_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      release();
      clearTimeout(timer);
      resolve({ code, stdout, stderr, dir, report: () => readReport(join(dir, 'report.json')) });
    }),
  );
}

/**
 * The built command in this process (no child, no start-up): parses the flags and runs them as
 * app/cli.ts does, with the FFMPEG_API_* variables of `env` (a cleanEnv(), say) as the run's whole
 * key environment, passed to the run (process.env is not touched: runs may go side by side). With
 * `cwd` the run reads that directory's .env (the working directory is changed meanwhile: not for
 * concurrent tests); without, it reads none unless --env-file says so.
 * How a process ends (exit codes of signals, pipes, crashes, a hang cut by a kill timer, what
 * reaches the real stdout) needs runCli.
 */
export async function runInProcess(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<CliRun> {
  // The built command (test/global-setup.ts builds it), as the bin runs it; loaded natively (vitest.config.ts).
  const { execute } = (await import(BUILT('app/command.js'))) as typeof import('../app/command.js');
  const { parseCli } = (await import(BUILT('core/config.js'))) as typeof import('../core/config.js');
  const { UsageError } = (await import(BUILT('core/errors.js'))) as typeof import('../core/errors.js');
  const { redact } = (await import(BUILT('core/secrets.js'))) as typeof import('../core/secrets.js');
  const runEnv = Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('FFMPEG_API_')));
  const savedCwd = process.cwd();
  const dir = tempDir();
  if (cwd) process.chdir(cwd);
  const lines = { stdout: [] as string[], stderr: [] as string[] };
  const text = (l: string[]) => l.map((x) => `${x}\n`).join('');
  const ended = (code: number): CliRun => ({ code, stdout: text(lines.stdout), stderr: text(lines.stderr), dir, report: () => readReport(join(dir, 'report.json')) });
  try {
    const values = parseCli(args.includes('--report-dir') ? args : [...args, '--report-dir', dir]);
    const reads = cwd !== undefined || values['env-file'] !== undefined;
    const { code } = await execute(values, { env: runEnv, ...(!reads && { envFile: false }), print: { out: (l) => lines.stdout.push(l), err: (l) => lines.stderr.push(l) } });
    return ended(code);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    lines.stderr.push(redact(`error: ${e.message}`));
    return ended(e.code);
  } finally {
    process.chdir(savedCwd);
  }
}

/** Listens on 127.0.0.1, on a port the system picks, and resolves to the server's URL. */
export async function listenLocal(server: Server, scheme: 'http' | 'https' = 'http'): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * A loopback port that refuses connections and that no other process can take meanwhile: the
 * local end of a connection this process holds open (bound, not listening), on a port below
 * Linux's ephemeral range (32768 and up), so no connection of another process is ever given it
 * either. No free-then-reuse race. `open(server)` listens on it later: the connection is closed
 * from the accepting side first (that end waits in TIME_WAIT), and the listener is bound once the
 * port's own end has closed.
 */
export async function refusingPort(): Promise<{ url: string; open: (server: Server) => Promise<void>; close: () => void }> {
  let accepted: net.Socket | undefined;
  const holder = net.createServer((s) => ((accepted = s), s.on('error', () => {})));
  await listenLocal(holder);
  let end: net.Socket | undefined;
  for (let tries = 0; !end; tries++) {
    const localPort = 20_000 + Math.floor(Math.random() * 12_000);
    end = await new Promise<net.Socket | undefined>((resolve, reject) => {
      const s = net.connect({ port: (holder.address() as AddressInfo).port, host: '127.0.0.1', localAddress: '127.0.0.1', localPort });
      s.once('connect', () => resolve(s)).once('error', (e: NodeJS.ErrnoException) => (e.code === 'EADDRINUSE' && tries < 50 ? resolve(undefined) : reject(e)));
    });
  }
  const held = end;
  held.on('error', () => {});
  while (!accepted) await new Promise((resolve) => setImmediate(resolve));
  const port = held.localPort!;
  const close = () => (held.destroy(), accepted?.destroy(), holder.close());
  return {
    url: `http://127.0.0.1:${port}`,
    close,
    open: async (server) => {
      const closed = new Promise((resolve) => held.once('close', resolve));
      held.once('end', () => held.destroy()).resume(); // the accepting side's FIN arrived: this end closes last
      accepted!.destroy();
      await closed;
      holder.close();
      // The port's own end may wait a moment for the last ACK (LAST_ACK): only it can hold the port.
      for (let tries = 1; ; tries++) {
        const failed = await new Promise<Error | undefined>((resolve) => server.once('error', resolve).listen(port, '127.0.0.1', () => resolve(undefined)));
        if (!failed) return;
        if ((failed as NodeJS.ErrnoException).code !== 'EADDRINUSE' || tries === 50) throw failed;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}

/** Reads a report.json the tool wrote, and fails unless it validates against reporters/report.schema.json. */
export function readReport(path: string): Report {
  const report: unknown = JSON.parse(readFileSync(path, 'utf8'));
  const errors = reportErrors(report);
  if (errors.length) throw new Error(`${path} does not validate against reporters/report.schema.json: ${errors.join('; ')}`);
  return report as Report;
}

/** stderr without the run's progress lines (`… N of M checks done`), which a slow or busy machine adds. */
export const withoutProgress = (stderr: string) => stderr.split('\n').filter((l) => !l.startsWith('… ')).join('\n');

export const failing = (r: Report) => r.checks.filter((c) => c.verdict === 'fail').map((c) => c.id);

/** The self-signed certificate of test/fixtures (localhost, 127.0.0.1, ::1). */
export const TEST_TLS = {
  key: readFileSync(join(ROOT, 'test/fixtures/tls-key.pem')),
  cert: readFileSync(join(ROOT, 'test/fixtures/tls-cert.pem')),
};

/** Writes a targets file with one entry and returns the flags that select it. */
export function namedTarget(entry: TargetEntry, name = 'under-test'): string[] {
  const file = join(tempDir(), 'targets.json');
  writeFileSync(file, JSON.stringify({ targets: { [name]: entry } }));
  return ['--targets', file, '--target', name];
}

/** The errors of a junit.xml against the JUnit schema (test/fixtures/junit.xsd), by libxml2 compiled to WebAssembly. */
export async function junitErrors(xml: string): Promise<string[]> {
  const schema = { fileName: 'junit.xsd', contents: readFileSync(join(ROOT, 'test/fixtures/junit.xsd'), 'utf8') };
  const result = await validateXML({ xml: [{ fileName: 'junit.xml', contents: xml }], schema: [schema] });
  return result.valid ? [] : result.errors.map((e) => e.rawMessage);
}
