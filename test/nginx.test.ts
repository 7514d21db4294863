// Real proxies: nginx (Debian's, /usr/sbin/nginx) in front of the reference mock, one server
// block per row of PROXIES, on loopback ports, with its prefix, pid, logs and cache in a temp
// directory. The faithful proxies pass; each misconfigured one is caught by the named checks.
// Without nginx the tests are skipped with the reason, except in CI (CI set), where they fail.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEFAULT_KEYS, startMock, type RunningMock } from '../mock/server.js';
import type { Profile } from '../core/targets.js';
import { cleanEnv, failing, MOCK_ENV, namedTarget, ROOT, runInProcess, tempDir } from './helpers.js';

const NGINX = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
const MISSING = 'nginx is not installed (apt-get install nginx); these tests are required in CI';

interface ProxyRow {
  name: string;
  profile?: Profile;
  /** Directives inside `location / { proxy_pass ...; }`. */
  location?: string;
  /** Directives at http level (maps, cache zones). */
  http?: string;
  /** Terminates TLS (the fixture certificate), with a plain-http server block on the side. */
  tls?: { plain: 'redirect' | 'proxy' };
  /** The run passes (--strict: no MUST or SHOULD failure) ... */
  passes?: true;
  /** ... or fails, and these checks are among the failing ones. */
  caughtBy?: string[];
  /** Rate-limits the run: throttling is waited out, never a failure (with Retry-After: every check judged, exit 0). */
  throttles?: 'with Retry-After' | 'without Retry-After';
}

const PROXIES: ProxyRow[] = [
  { name: 'transparent', passes: true },
  {
    name: 'tls-terminating, http redirected, HSTS',
    tls: { plain: 'redirect' },
    location: 'add_header Strict-Transport-Security "max-age=31536000" always;',
    passes: true,
  },
  { name: 'tls-terminating, plain http proxied too, no HSTS', tls: { plain: 'proxy' }, caughtBy: ['transport.https-only', 'transport.hsts'] },
  { name: 'drops the Authorization header', location: 'proxy_set_header Authorization "";', caughtBy: ['auth.valid.listDirectories', 'auth.valid.createDirectory'] },
  {
    name: 'replaces 4xx bodies with its own HTML pages',
    location: 'proxy_intercept_errors on;\n      error_page 400 401 403 404 /error.html;',
    caughtBy: ['auth.missing.listDirectories', 'auth.invalid.listDirectories', 'response.json.listDirectories'],
  },
  {
    name: 'caches authenticated answers without keying on the credential',
    location: 'proxy_cache shared;\n      proxy_cache_key $request_uri;\n      proxy_cache_valid 200 10m;\n      proxy_ignore_headers Cache-Control Expires Set-Cookie;',
    caughtBy: ['cache.replay'],
  },
  { name: 'injects the key', profile: 'key-injecting-proxy', location: `proxy_set_header Authorization "${DEFAULT_KEYS.valid}";`, passes: true },
  {
    name: "injects the key, but forwards a client's own",
    profile: 'key-injecting-proxy',
    http: `map $http_authorization $upstream_authorization { "" "${DEFAULT_KEYS.valid}"; default $http_authorization; }`,
    location: 'proxy_set_header Authorization $upstream_authorization;',
    caughtBy: ['proxy.client-authorization'],
  },
  {
    name: 'rate-limits (limit_req 10 r/s, burst 20), with Retry-After',
    http: 'limit_req_zone $binary_remote_addr zone=withretry:1m rate=10r/s;',
    location: 'limit_req zone=withretry burst=20 nodelay;\n      limit_req_status 429;\n      add_header Retry-After 1 always;',
    throttles: 'with Retry-After',
    passes: true,
  },
  {
    name: 'rate-limits (limit_req 10 r/s, burst 20), without Retry-After',
    http: 'limit_req_zone $binary_remote_addr zone=noretry:1m rate=10r/s;',
    location: 'limit_req zone=noretry burst=20 nodelay;\n      limit_req_status 429;',
    throttles: 'without Retry-After',
  },
  {
    name: 'injects the key, and echoes it in a debug header',
    profile: 'key-injecting-proxy',
    location: `proxy_set_header Authorization "${DEFAULT_KEYS.valid}";\n      add_header X-Debug-Upstream-Authorization "${DEFAULT_KEYS.valid}" always;`,
    caughtBy: ['proxy.key-not-exposed'],
  },
];

/**
 * A listening socket on a loopback port, handed to nginx (its NGINX variable, as in its binary
 * upgrade: "using inherited sockets"), so no port is freed here and bound again there.
 */
async function listening(): Promise<{ port: number; server: net.Server; fd: number }> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
  return { port: (server.address() as AddressInfo).port, server, fd };
}

interface Running {
  row: ProxyRow;
  url: string;
  plainUrl?: string;
  mock: RunningMock;
}

/** One nginx.conf for every row: each proxies its own mock. */
function nginxConf(prefix: string, rows: Array<{ row: ProxyRow; port: number; plainPort: number; upstream: string }>): string {
  const cert = join(ROOT, 'test/fixtures/tls-cert.pem');
  const key = join(ROOT, 'test/fixtures/tls-key.pem');
  const servers = rows.map(({ row, port, plainPort, upstream }) => {
    const location = `location / {\n      proxy_pass ${upstream};\n      ${row.location ?? ''}\n    }`;
    const main = `  server {  # ${row.name}
    listen 127.0.0.1:${port}${row.tls ? ' ssl' : ''};
    ${row.tls ? `ssl_certificate ${cert};\n    ssl_certificate_key ${key};` : ''}
    location = /error.html { internal; root ${prefix}/html; }
    ${location}
  }`;
    if (!row.tls) return main;
    const plain = row.tls.plain === 'redirect' ? `return 301 https://127.0.0.1:${port}$request_uri;` : `location / { proxy_pass ${upstream}; }`;
    return `${main}\n  server {  # ${row.name}: plain http\n    listen 127.0.0.1:${plainPort};\n    ${plain}\n  }`;
  });
  return `daemon off;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path ${prefix}/temp/body;
  proxy_temp_path ${prefix}/temp/proxy;
  fastcgi_temp_path ${prefix}/temp/fastcgi;
  uwsgi_temp_path ${prefix}/temp/uwsgi;
  scgi_temp_path ${prefix}/temp/scgi;
  proxy_cache_path ${prefix}/cache keys_zone=shared:1m;
${rows.map(({ row }) => (row.http ? `  ${row.http}` : '')).join('\n')}
${servers.join('\n')}
}
`;
}

/** Waits until nginx answers on the port (the socket listens from the start: connecting alone proves nothing). */
async function waitForAnswer(port: number, secure: boolean, nginx: ChildProcess, log: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (nginx.exitCode !== null) throw new Error(`nginx exited (${nginx.exitCode}): ${existsSync(log) ? readFileSync(log, 'utf8') : ''}`);
    const answered = await new Promise<boolean>((resolve) => {
      const s: net.Socket = secure ? tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false }, () => s.write('GET / HTTP/1.0\r\n\r\n')) : net.connect(port, '127.0.0.1', () => s.write('GET / HTTP/1.0\r\n\r\n'));
      s.setTimeout(500, () => (s.destroy(), resolve(false)));
      s.once('data', () => (s.destroy(), resolve(true))).on('error', () => resolve(false));
    });
    if (answered) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nginx did not answer on ${port}: ${existsSync(log) ? readFileSync(log, 'utf8') : ''}`);
}

// Nine runs at once on a small machine: allow each more than the default time.
describe.concurrent('nginx in front of the mock', { timeout: 150_000 }, () => {
  let nginx: ChildProcess | undefined;
  const running = new Map<string, Running>();

  beforeAll(async () => {
    if (!NGINX) {
      if (process.env.CI) throw new Error(`${MISSING}: not found in /usr/sbin, /usr/local/sbin or /usr/bin (.ci/run installs it)`);
      return;
    }
    const prefix = tempDir();
    chmodSync(prefix, 0o755); // nginx workers run as an unprivileged user when started as root
    for (const d of ['temp', 'cache', 'html']) mkdirSync(join(prefix, d));
    writeFileSync(join(prefix, 'html/error.html'), '<!doctype html><html><body><h1>Something went wrong</h1></body></html>\n');
    const rows = [];
    const sockets: Array<{ server: net.Server; fd: number }> = [];
    for (const row of PROXIES) {
      const mock = await startMock();
      const [main, plain] = [await listening(), await listening()];
      sockets.push(main, plain);
      const [port, plainPort] = [main.port, plain.port];
      rows.push({ row, port, plainPort, upstream: mock.url });
      running.set(row.name, { row, mock, url: `${row.tls ? 'https' : 'http'}://127.0.0.1:${port}`, ...(row.tls && { plainUrl: `http://127.0.0.1:${plainPort}` }) });
    }
    const conf = join(prefix, 'nginx.conf');
    writeFileSync(conf, nginxConf(prefix, rows));
    const log = join(prefix, 'error.log');
    nginx = spawn(NGINX, ['-p', prefix, '-e', log, '-c', conf], {
      stdio: ['ignore', 'ignore', 'ignore', ...sockets.map((s) => s.fd)], // as fds 3, 4, …
      env: { ...process.env, NGINX: sockets.map((_, i) => `${3 + i};`).join('') },
    });
    for (const { server } of sockets) server.close(); // nginx holds them now; this process accepts nothing
    for (const { port, plainPort, row } of rows) {
      await waitForAnswer(port, Boolean(row.tls), nginx, log);
      if (row.tls) await waitForAnswer(plainPort, false, nginx, log);
    }
  });

  afterAll(async () => {
    if (nginx && nginx.exitCode === null) {
      const exited = new Promise((r) => nginx!.once('exit', r));
      nginx.kill('SIGQUIT'); // graceful: the master stops its workers
      await exited;
    }
    await Promise.all([...running.values()].map((r) => r.mock.close()));
  });

  test.for(PROXIES.map((row) => [row.name, row] as const))('%s', async ([name, row], ctx) => {
    if (!NGINX) ctx.skip(MISSING);
    const { url, plainUrl } = running.get(name)!;
    const direct = !row.profile && !row.tls;
    const target = direct ? ['--target', url] : namedTarget({ url, profile: row.profile ?? 'direct', ...(plainUrl && { plainHttpUrl: plainUrl }) });
    const run = await runInProcess([...target, '--strict', ...(row.tls ? ['--insecure'] : [])], cleanEnv(MOCK_ENV));
    const report = run.report();
    if (row.throttles) {
      // Throttling is never a contract outcome: no failure, and the report says how long was spent waiting.
      expect(failing(report), run.stdout).toEqual([]);
      expect(run.code).not.toBe(1);
      expect(report.throttle?.answers, run.stdout).toBeGreaterThan(0);
      expect(run.stdout).toMatch(/throttled: \d+ answers? 429\/503 waited out, [\d.]+ s spent waiting/);
    }
    if (row.throttles === 'without Retry-After') return;
    expect(report.summary.verdicts.error, run.stdout).toBe(0);
    if (row.passes) {
      expect(failing(report), run.stdout).toEqual([]);
      expect(run.code).toBe(0);
      if (row.tls) for (const id of ['transport.https-only', 'transport.hsts']) expect(report.checks.find((c) => c.id === id)?.verdict, id).toBe('pass');
      if (row.profile === 'key-injecting-proxy')
        for (const id of ['proxy.keyless', 'proxy.errors-pass-through', 'proxy.client-authorization', 'proxy.key-not-exposed'])
          expect(report.checks.find((c) => c.id === id)?.verdict, id).toBe('pass');
    } else {
      expect(failing(report)).toEqual(expect.arrayContaining(row.caughtBy!));
      expect(run.code).toBe(1);
    }
  });
});
