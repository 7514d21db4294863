// `npm run bench`: what a conformance run costs (wall time, requests, memory) and how fast the
// reference mock is, measured side by side in one run, several repetitions each, medians reported.
// Prints Markdown on stdout (BENCHMARKS.md holds a run); progress goes to stderr. Figures only:
// never part of `npm test` or .ci/run, and no test asserts on time.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon, { type Result as LoadResult } from 'autocannon';
import { Agent, request } from 'undici';
import type { Report } from '../reporters/model.js';
import { DEFAULT_KEYS, startMock } from '../mock/server.js';
import { err, out } from '../core/secrets.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BOOT = pathToFileURL(join(ROOT, 'scripts/bench/boot.js')).href; // how the TypeScript children start node
const TSX = import.meta.resolve('tsx'); // how `npm run mock` starts it (children run outside the repository)
const CLI = join(ROOT, 'dist/app/cli.js'); // the built command, as `npm run conformance` and the bin run it (npm run build first)
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const CLOCK_TICKS = 100; // USER_HZ, the unit of utime and stime in /proc/PID/stat on Linux
const CONCURRENCY = 8; // the CLI's default --concurrency
const LATENCY_MS = 100;

const { values: flags } = parseArgs({
  options: {
    reps: { type: 'string', default: '5' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '10' },
    'hostile-only': { type: 'boolean', default: false },
  },
  strict: true,
});
const count = (name: keyof typeof flags) => {
  const n = Number(flags[name]);
  if (!Number.isInteger(n) || n < 1) {
    err(`error: --${name} must be a positive integer, got "${flags[name]}"`);
    process.exit(2);
  }
  return n;
};
const REPS = count('reps');
const DURATION = count('duration');
const CONNECTIONS = count('connections');

/** Children get no keys from the developer's shell and run in WORK, so no .env is read. */
const WORK = mkdtempSync(join(os.tmpdir(), 'conformance-bench-'));
const baseEnv: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FFMPEG_API_')));
const keyEnv = { ...baseEnv, FFMPEG_API_KEY: DEFAULT_KEYS.valid, FFMPEG_API_QUOTA_EXCEEDED_KEY: DEFAULT_KEYS.quota, FFMPEG_API_REVOKED_KEY: DEFAULT_KEYS.revoked };
const reportDir = () => mkdtempSync(join(WORK, 'report-'));

// ---- processes ----

interface Run {
  /** Wall time from spawn to exit. */
  ms: number;
  /** User + system CPU time of the child and its descendants (GNU time %U + %S). */
  cpuMs?: number;
  /** Max RSS of the largest single process among them (GNU time %M), in MB. */
  rssMb?: number;
  code: number | null;
  stdout: string;
  stderr: string;
  /** Against a mock of this script: the requests it received, the most it had open at once, and the time from the first request to the last answer. */
  requests?: number;
  peak?: number;
  spanMs?: number;
}

/** Runs `node ...args` to its exit, under /usr/bin/time when present; throws unless it exits `expected`. */
function node(what: string, args: string[], env: NodeJS.ProcessEnv, expected = 0): Promise<Run> {
  const argv = TIME ? [TIME, '-f', 'bench-time %M %U %S', process.execPath, ...args] : [process.execPath, ...args];
  const started = performance.now();
  const child = spawn(argv[0]!, argv.slice(1), { cwd: WORK, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) =>
    child.on('close', (code) => {
      const ms = performance.now() - started;
      const t = /bench-time (\d+) ([\d.]+) ([\d.]+)/.exec(stderr);
      stderr = stderr.replace(/.*bench-time .*\n?/, '');
      if (code !== expected) return reject(new Error(`${what} exited with ${code}: ${(stderr || stdout).trim().split('\n').slice(-3).join(' | ')}`));
      resolve({ ms, code, stdout, stderr, ...(t && { rssMb: Number(t[1]) / 1024, cpuMs: (Number(t[2]) + Number(t[3])) * 1000 }) });
    }),
  );
}

/** A run against a mock started in this process, counting the requests it receives and the most in flight at once. */
async function againstMock(what: string, latencyMs: number, args: (url: string) => string[]): Promise<Run> {
  let requests = 0;
  let inFlight = 0;
  let peak = 0;
  let first = 0;
  let last = 0;
  const onRequest = (res?: http.ServerResponse) => {
    requests++;
    first ||= performance.now();
    last = performance.now();
    if (!res) return;
    peak = Math.max(peak, ++inFlight);
    res.once('close', () => {
      inFlight--;
      last = performance.now();
    });
  };
  const mock = await startMock({ latencyMs, onRequest });
  try {
    return { ...(await node(what, args(mock.url), keyEnv)), requests, peak, spanMs: last - first };
  } finally {
    await mock.close();
  }
}

interface Server {
  url: string;
  /** User + system CPU time the server process has used so far, in ms (Linux /proc). */
  cpuMs(): number;
  stop(): Promise<void>;
}

/** Starts a long-running node process and waits for the URL it prints. */
async function server(args: string[], env: NodeJS.ProcessEnv = baseEnv): Promise<Server> {
  const child = spawn(process.execPath, args, { cwd: WORK, env, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (d) => {
      text += d;
      const m = /(?:listening on|passive proxy on) (http:\/\/\S+)/.exec(text);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code} before listening`)));
  });
  return {
    url,
    cpuMs: () => {
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
    },
    stop: () => new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', () => resolve()), child.kill('SIGTERM')))),
  };
}

type Load = LoadResult & { cpuUsPerRequest: number };

/** autocannon on GET /directory with the valid key; also the server's CPU time per request answered. */
async function loadRun(name: string, target: Server, duration: number): Promise<Load> {
  const cpu = target.cpuMs();
  const r = await autocannon({ url: `${target.url}/directory`, connections: CONNECTIONS, duration, headers: { authorization: DEFAULT_KEYS.valid } });
  if (r.errors || r.timeouts || r.non2xx) throw new Error(`load on the ${name} server: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx answers`);
  return { ...r, cpuUsPerRequest: ((target.cpuMs() - cpu) * 1000) / r.requests.total };
}

/** `requests` GET /directory with the valid key over undici, CONCURRENCY at a time: the bare HTTP cost of a run. */
async function rawUndici(url: string, requests: number): Promise<number> {
  const agent = new Agent({ keepAliveTimeout: 4_000 });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < requests) {
        const res = await request(`${url}/directory`, { headers: { authorization: DEFAULT_KEYS.valid }, dispatcher: agent });
        await res.body.text();
      }
    }),
  );
  const ms = performance.now() - started;
  await agent.close();
  return ms;
}

// ---- the measurements ----

const SUITE = {
  floor: 'trivial one-test vitest run (the floor: the same pool settings, plain node and built JavaScript, as the command starts)',
  cli: '`npm run conformance`: the default suite against the bundled mock',
  cliTsx: 'the same from the TypeScript sources, started with `--import tsx` (how runs started before dist/)',
};
const LATENCY = [
  { label: '0 ms', latencyMs: 0, args: [] as string[] },
  { label: `${LATENCY_MS} ms`, latencyMs: LATENCY_MS, args: [] as string[] },
  { label: `${LATENCY_MS} ms, --concurrency 16 (not the default)`, latencyMs: LATENCY_MS, args: ['--concurrency', '16'] },
];
const VARIANTS = [
  ['threads', false],
  ['threads', true],
  ['forks', false],
  ['forks', true],
] as const;

const suite = { floor: [] as Run[], cli: [] as Run[], cliTsx: [] as Run[] };
const latency = LATENCY.map(() => [] as Run[]);
const variants = VARIANTS.map(() => [] as Run[]);
const inVitest: number[] = [];
const raw: number[] = [];
const load = { mock: [] as Load[], bare: [] as Load[], proxy: [] as Load[] };
/** Issue 21: the p50 of sequential GET /directory requests (µs), direct to the mock and through the passive proxy, per repetition. */
const serial = { direct: [] as number[], proxy: [] as number[] };
const SERIAL_REQUESTS = 2000;

/** The p50 latency (µs) of `n` GET /directory requests one after another over one keep-alive connection. */
async function serialP50(url: string, n: number): Promise<number> {
  const agent = new Agent({ connections: 1, keepAliveTimeout: 4_000 });
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    const res = await request(`${url}/directory`, { headers: { authorization: DEFAULT_KEYS.valid }, dispatcher: agent });
    await res.body.text();
    times.push((performance.now() - started) * 1000);
  }
  await agent.close();
  return median(times);
}
let checks = 0;
const loadStart = os.loadavg()[0]!;

// ---- hostile answers (issue 20): what one answer can cost a run ----

const HOSTILE_DEADLINE_S = 10;
const HOSTILE: Array<{ label: string; body: (auth: string) => string }> = [
  { label: 'a success body of 80,000 wrong items (one schema error each)', body: () => JSON.stringify({ ok: true, directories: Array.from({ length: 80_000 }, () => 0) }) },
  { label: 'a success body nested 100,000 deep (`[[[[…]]]]`, 200 KB)', body: () => `${'['.repeat(100_000)}${']'.repeat(100_000)}` },
  {
    label: 'the key echoed in every encoding (base64 at offsets 0-2, spaced hex, UTF-16, zero-width) in a 200 KB body',
    body: (auth) => JSON.stringify({ ok: true, directories: [], pad: 'x'.repeat(200_000), seen: [0, 1, 2].map((n) => Buffer.from('x'.repeat(n) + auth).toString('base64')).concat([...Buffer.from(auth)].map((b) => b.toString(16)).join(' '), [...auth].join('\u200b'), Buffer.from(auth, 'utf16le').toString('latin1')) }),
  },
];
const hostile: Array<Array<Run & { largestReport: number }>> = HOSTILE.map(() => []);

/** A run with --deadline against a loopback target giving `body` to the valid key: wall, peak memory, the largest report. */
async function againstHostile(body: (auth: string) => string): Promise<Run & { largestReport: number }> {
  const { createServer } = await import('node:http');
  const server = createServer((req, res) => {
    const ok = req.headers.authorization === DEFAULT_KEYS.valid;
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(ok ? body(req.headers.authorization ?? '') : '{"ok":false,"error":"Invalid API key"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const dir = reportDir();
  try {
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const run = await node('a run against a hostile target', [CLI, '--target', url, '--report-dir', dir, '--deadline', String(HOSTILE_DEADLINE_S)], keyEnv, 1);
    const largestReport = Math.max(...readdirSync(dir).map((n) => statSync(join(dir, n)).size));
    return { ...run, largestReport };
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

async function main(): Promise<void> {
  if (flags['hostile-only']) {
    for (let rep = 1; rep <= REPS; rep++) {
      err(`repetition ${rep}/${REPS}: hostile answers`);
      for (const [i, h] of HOSTILE.entries()) hostile[i]!.push(await againstHostile(h.body));
    }
    printHostile();
    return;
  }
  err(`benchmark: ${REPS} repetitions, load runs of ${DURATION} s with ${CONNECTIONS} connections; scratch directory ${WORK}`);
  const standalone = await server(['--import', TSX, join(ROOT, 'mock/main.ts'), '--port', '0']);
  const bare = await server([join(ROOT, 'scripts/bench/bare-server.mjs')]);
  // Issue 21: the passive proxy in front of the standalone mock, judging with the mock's keys, in a process of its own.
  const proxy = await server([CLI, 'proxy', '--upstream', standalone.url, '--port', '0', '--report-interval', '0', '--report-dir', reportDir()], keyEnv);
  try {
    // Both servers must give the same answer for the load comparison to mean anything.
    const answers = await Promise.all(
      [standalone.url, bare.url].map(async (u) => {
        const res = await request(`${u}/directory`, { headers: { authorization: DEFAULT_KEYS.valid } });
        return `${res.statusCode} ${res.headers['content-type']} ${await res.body.text()}`;
      }),
    );
    if (answers[0] !== answers[1]) throw new Error(`the mock and the bare server answer differently: ${answers.join(' / ')}`);
    // JIT warm-up: the first second of load on a fresh server runs at a fraction of its speed.
    for (const [name, target] of [['mock', standalone], ['bare', bare], ['proxy', proxy]] as const) await loadRun(name, target, 2);

    for (let rep = 1; rep <= REPS; rep++) {
      err(`repetition ${rep}/${REPS}: suite runs`);
      suite.floor.push(await node('the floor run', [join(ROOT, 'scripts/bench/floor.mjs')], baseEnv));
      const dir = reportDir();
      suite.cli.push(await node('the default run', [CLI, '--report-dir', dir], baseEnv));
      const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
      inVitest.push(report.durationMs);
      checks = report.summary.total;
      suite.cliTsx.push(await node('the default run under --import tsx', ['--import', TSX, join(ROOT, 'app/cli.ts'), '--report-dir', reportDir()], baseEnv));
      for (const [i, c] of LATENCY.entries())
        latency[i]!.push(await againstMock(`the run against the mock (${c.label})`, c.latencyMs, (url) => [CLI, '--target', url, '--report-dir', reportDir(), ...c.args]));
      for (const [i, [pool, isolate]] of VARIANTS.entries())
        variants[i]!.push(await againstMock(`the ${pool}/isolate=${isolate} run`, 0, (url) => ['--import', BOOT, join(ROOT, 'scripts/bench/variant.ts'), url, pool, String(isolate)]));
      raw.push(await rawUndici(standalone.url, latency[0]!.at(-1)!.requests!));
      for (const [i, h] of HOSTILE.entries()) hostile[i]!.push(await againstHostile(h.body));
      const order = [['mock', standalone], ['bare', bare], ['proxy', proxy]] as const;
      err(`repetition ${rep}/${REPS}: sequential latency, direct and through the proxy`);
      serial.direct.push(await serialP50(standalone.url, SERIAL_REQUESTS));
      serial.proxy.push(await serialP50(proxy.url, SERIAL_REQUESTS));
      for (const [name, target] of rep % 2 ? order : [...order].reverse()) {
        err(`repetition ${rep}/${REPS}: load on the ${name} server`);
        load[name].push(await loadRun(name, target, DURATION));
      }
    }
  } finally {
    await proxy.stop();
    await standalone.stop();
    await bare.stop();
  }
  printReport();
}

// ---- the report ----

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const wall = (runs: Run[]) => median(runs.map((r) => r.ms));
const span = (runs: Run[]) => median(runs.map((r) => r.spanMs!));
const spread = (runs: Run[]) => `${sec(Math.min(...runs.map((r) => r.ms)))} – ${sec(Math.max(...runs.map((r) => r.ms)))}`;
const cpu = (runs: Run[]) => (runs.every((r) => r.cpuMs !== undefined) ? sec(median(runs.map((r) => r.cpuMs!))) : 'n/a');
const rss = (runs: Run[]) => (runs.every((r) => r.rssMb !== undefined) ? `${median(runs.map((r) => r.rssMb!)).toFixed(0)} MB (max ${Math.max(...runs.map((r) => r.rssMb!)).toFixed(0)})` : 'n/a (no /usr/bin/time)');
const row = (...cells: Array<string | number>) => out(`| ${cells.join(' | ')} |`);
const head = (...cells: string[]) => {
  row(...cells);
  row(...cells.map(() => '---'));
};

function printReport(): void {
  const model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const floor = wall(suite.floor);
  const cli = wall(suite.cli);
  const [l0, l100, l100c16] = latency.map(wall) as [number, number, number];
  // Each repetition runs 0 ms and 100 ms back to back: the median of the paired differences drifts less with the machine's load.
  const paired = (runs: Run[]) => median(runs.map((r, i) => r.ms - latency[0]![i]!.ms));
  const slower = paired(latency[1]!);
  const requests = median(latency[0]!.map((r) => r.requests!));
  const rawMs = median(raw);
  const rps = (name: keyof typeof load) => median(load[name].map((r) => r.requests.average));
  const cpuPerRequest = (name: keyof typeof load) => median(load[name].map((r) => r.cpuUsPerRequest));
  const peakMb = Math.max(...suite.cli.map((r) => r.rssMb ?? NaN));

  out(`Machine: ${os.availableParallelism()} CPUs (${model}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory, Node.js ${process.version}, ${os.platform()} ${os.release()}.`);
  out(`Load average (1 min): ${loadStart.toFixed(2)} at start, ${os.loadavg()[0]!.toFixed(2)} at end. ${REPS} repetitions, interleaved; medians, with min – max.`);
  out('');
  out('### A conformance run, end to end (spawn to exit)');
  out('');
  head('run', 'wall (median)', 'min – max', 'CPU user+sys (median)', 'peak RSS (median, max)');
  for (const k of ['floor', 'cli', 'cliTsx'] as const) row(SUITE[k], sec(wall(suite[k])), spread(suite[k]), cpu(suite[k]), rss(suite[k]));
  out('');
  out(`The default suite (${checks} checks) takes **${(cli / floor).toFixed(2)}×** the floor in wall time, ${sec(cli - floor)} more; ${sec(median(inVitest))} of its run is in vitest (report.json durationMs: createVitest to close).`);
  out("Peak RSS is GNU time's %M, the largest single process: the threads pool keeps a run in one process (main thread, vitest worker, tsx's loader thread), so it is the run's peak.");
  out('');
  out('### Concurrency: the suite against a mock that waits before every answer');
  out('');
  head('mock latency', 'wall (median)', 'min – max', 'first request to last answer (median)', 'requests per run', 'most requests in flight at once');
  LATENCY.forEach((c, i) =>
    row(c.label, sec(wall(latency[i]!)), spread(latency[i]!), sec(span(latency[i]!)), median(latency[i]!.map((r) => r.requests!)), median(latency[i]!.map((r) => r.peak!))),
  );
  out('');
  out(
    `With ${LATENCY_MS} ms per answer a run is **${sec(slower)}** slower (median of paired differences; difference of medians ${sec(l100 - l0)}): ` +
      `${requests} requests × ${LATENCY_MS} ms in that time is an effective concurrency of ${((requests * LATENCY_MS) / slower).toFixed(1)}. ` +
      `At --concurrency ${CONCURRENCY} no run can do better than ⌈${requests}/${CONCURRENCY}⌉ × ${LATENCY_MS} ms = ${sec(Math.ceil(requests / CONCURRENCY) * LATENCY_MS)}; ` +
      `with --concurrency 16 it is ${sec(paired(latency[2]!))} slower (difference of medians ${sec(l100c16 - l0)}). ` +
      `Measured at the mock, from the first request to the last answer (start-up and reporting left out, so steadier on a busy machine), the ${LATENCY_MS} ms run's requests take ` +
      `${sec(span(latency[1]!) - span(latency[0]!))} longer than the 0 ms run's, ${sec(span(latency[2]!) - span(latency[0]!))} with --concurrency 16.`,
  );
  out('');
  out('### Requests and per-check overhead');
  out('');
  out(
    `A run sends **${requests} requests** for ${checks} checks (counted at the mock). The same number of plain GET /directory requests over undici, ${CONCURRENCY} at a time, ` +
      `to the standalone mock take ${sec(rawMs)} (median). The suite against the mock (0 ms) takes ${sec(l0)}; beyond the floor and the bare requests that is ` +
      `${sec(l0 - floor - rawMs)}, or **${((l0 - floor - rawMs) / checks).toFixed(1)} ms per check** (spec loading, suite modules, reporting and vitest's per-test work included).`,
  );
  out('');
  out('### Pool and isolation (the suite against the mock, 0 ms; scripts/bench/variant.ts)');
  out('');
  head('pool', 'isolate', 'wall (median)', 'min – max', 'CPU user+sys (median)', 'requests per run');
  VARIANTS.forEach(([pool, isolate], i) =>
    row(pool + (pool === 'threads' && !isolate ? ' (chosen, app/run.ts)' : ''), String(isolate), sec(wall(variants[i]!)), spread(variants[i]!), cpu(variants[i]!), median(variants[i]!.map((r) => r.requests!))),
  );
  out('');
  out('Requests per run count the evaluations of suites/support.ts: its memo sends each probe once per evaluation, so with isolated files the security checks send again the probes they share.');
  out('');
  out(`### The mock under load (autocannon, ${CONNECTIONS} connections, ${DURATION} s, GET /directory with the valid key; each server in its own process)`);
  out('');
  head('server', 'requests/s (median)', 'min – max', 'latency p50', 'latency p99', 'server CPU per request (median)');
  for (const name of ['mock', 'bare'] as const) {
    const rs = load[name];
    const req = rs.map((r) => r.requests.average);
    row(
      name === 'mock' ? 'reference mock (`npm run mock`)' : 'bare node:http, same answer',
      median(req).toFixed(0),
      `${Math.min(...req).toFixed(0)} – ${Math.max(...req).toFixed(0)}`,
      `${median(rs.map((r) => r.latency.p50))} ms`,
      `${median(rs.map((r) => r.latency.p99))} ms`,
      `${cpuPerRequest(name).toFixed(1)} µs`,
    );
  }
  out('');
  out(
    `The mock serves **${((rps('mock') / rps('bare')) * 100).toFixed(0)} %** of bare node:http's throughput. By CPU time per request (steadier on a shared machine) ` +
      `it would serve ${((cpuPerRequest('bare') / cpuPerRequest('mock')) * 100).toFixed(0)} % on a CPU of its own.`,
  );
  out('');
  const through = rps('proxy') / rps('mock');
  const added = (median(serial.proxy) - median(serial.direct)) / 1000;
  out(`### The passive proxy (issue 21: \`proxy --upstream\` in front of the mock, judging every exchange; autocannon as above)`);
  out('');
  head('path', 'requests/s (median)', 'min – max', 'latency p50 (autocannon)', 'latency p99 (autocannon)', `sequential p50 (${SERIAL_REQUESTS} requests, median of repetitions)`, 'CPU per request of the process in front (median)');
  for (const [name, label, lat] of [['mock', 'direct to the mock', serial.direct], ['proxy', 'through the proxy', serial.proxy]] as const) {
    const rs = load[name];
    const req = rs.map((r) => r.requests.average);
    row(label, median(req).toFixed(0), `${Math.min(...req).toFixed(0)} – ${Math.max(...req).toFixed(0)}`, `${median(rs.map((r) => r.latency.p50))} ms`, `${median(rs.map((r) => r.latency.p99))} ms`, `${(median(lat) / 1000).toFixed(3)} ms`, `${cpuPerRequest(name).toFixed(1)} µs (${name === 'mock' ? 'the mock' : 'the proxy alone'})`);
  }
  out('');
  out(
    `Through the proxy: **${(through * 100).toFixed(0)} %** of the direct throughput, **+${added.toFixed(3)} ms** at p50 (sequential requests, where a millisecond is visible). ` +
      `The proxy spends ${(cpuPerRequest('proxy') / cpuPerRequest('mock')).toFixed(1)}× the mock's CPU per request (forwarding both ways and judging), so on a CPU of its own it would serve ${((cpuPerRequest('mock') / cpuPerRequest('proxy')) * 100).toFixed(0)} % of the mock's rate.`,
  );
  out('');
  out('### Targets');
  out('');
  head('target', 'measured', 'met');
  const target = (what: string, measured: string, ok: boolean) => row(what, measured, ok ? 'yes' : '**no**');
  // Issue 14's targets (the mock's throughput target is issue 6's).
  target('default suite ≤ 1.8 × the floor', `${(cli / floor).toFixed(2)}×`, cli / floor <= 1.8);
  target(`with ${LATENCY_MS} ms per answer, ≤ 0.9 s slower than with 0 ms (default --concurrency)`, `+${sec(slower)}`, slower <= 900);
  target('mock ≥ 80 % of bare node:http throughput', `${((rps('mock') / rps('bare')) * 100).toFixed(0)} %`, rps('mock') / rps('bare') >= 0.8);
  target('through the passive proxy: ≤ 1 ms added at p50', `+${added.toFixed(3)} ms`, added <= 1);
  target('through the passive proxy: ≥ 70 % of the direct throughput', `${(through * 100).toFixed(0)} %`, through >= 0.7);
  target('peak memory of a run < 200 MB', Number.isFinite(peakMb) ? `${peakMb.toFixed(0)} MB (max over repetitions)` : 'n/a', peakMb < 200);
  out('');
  printHostile();
}

/** Hostile answers: each run's wall time against its --deadline, its peak memory and its largest report. */
function printHostile(): void {
  out(`### Hostile answers (issue 20): what one answer can cost a run (\`--deadline ${HOSTILE_DEADLINE_S}\`)`);
  out('');
  head('target answers the valid key with', 'wall (median)', 'min – max', 'peak RSS (median, max)', 'largest report (max)');
  for (const [i, h] of HOSTILE.entries()) row(h.label, sec(wall(hostile[i]!)), spread(hostile[i]!), rss(hostile[i]!), `${(Math.max(...hostile[i]!.map((r) => r.largestReport)) / 1024).toFixed(0)} KiB`);
  const all = hostile.flat();
  const peak = Math.max(...all.map((r) => r.rssMb ?? NaN));
  const slowest = Math.max(...all.map((r) => r.ms));
  const largest = Math.max(...all.map((r) => r.largestReport));
  out('');
  head('bound (whatever the target sends)', 'measured (max over runs)', 'met');
  const bound = (what: string, measured: string, ok: boolean) => row(what, measured, ok ? 'yes' : '**no**');
  bound('every report < 1 MiB', `${(largest / 1024).toFixed(0)} KiB`, largest < 1024 * 1024);
  bound('peak memory < 300 MB', Number.isFinite(peak) ? `${peak.toFixed(0)} MB` : 'n/a', peak < 300);
  bound(`the whole run (judging and writing included) within --deadline ${HOSTILE_DEADLINE_S}`, sec(slowest), slowest < HOSTILE_DEADLINE_S * 1000);
}

main().then(
  () => rmSync(WORK, { recursive: true, force: true }),
  (e: unknown) => {
    err(`benchmark failed: ${(e as Error).message}`);
    process.exitCode = 1;
  },
);
