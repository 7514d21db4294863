// Issue 21: the passive validation proxy. Real sockets on loopback: the active suite run through the
// proxy against faulty upstreams, clients that break the guide's advice, bodies that are huge,
// oddly chunked or compressed, an upstream that is down, and a planted key.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import zlib from 'node:zlib';
import { request } from 'undici';
import { describe, expect, test } from 'vitest';
import type { Report } from '../reporters/model.js';
import { reportErrors } from '../reporters/schema.js';
import { loadContract } from '../core/spec.js';
import { buildCatalog } from '../suites/catalog.js';
import { clientChecks } from '../suites/client-judges.js';
import { JUDGES } from '../suites/judges.js';
import { registeredSecrets } from '../core/secrets.js';
import { activeOnly } from '../suites/passive.js';
import { FAULT_ENV, FAULT_KEYS, readExpectations } from './fault-runs.js';
import { cleanEnv, listenLocal, refusingPort, ROOT, runCli, runInProcess, tempDir } from './helpers.js';
import type { CheckResult } from '../core/results.js';

const BUILT = (m: string) => pathToFileURL(join(ROOT, 'dist', m)).href;
const { startProxy } = (await import(BUILT('app/proxy.js'))) as typeof import('../app/proxy.js');
const { startMock } = (await import(BUILT('mock/server.js'))) as typeof import('../mock/server.js');
const contract = await loadContract();
const catalog = buildCatalog(contract);
const catalogClient = clientChecks((id) => contract.clauses.find((c) => c.id === id)!);
const clauseOf = new Map(catalog.map((c) => [c.id, c.clause.id]));

/** A proxy in this process in front of `upstream`, its lines kept. */
async function proxied(upstream: string, keys: Record<string, string> = FAULT_KEYS, extra: Partial<import('../app/proxy.js').ProxyOptions> = {}) {
  const lines: string[] = [];
  const reportDir = tempDir();
  const proxy = await startProxy({ upstream, keys, env: {}, reportDir, reportIntervalSeconds: 0, print: { out: (l) => lines.push(l), err: (l) => lines.push(l) }, ...extra });
  return { proxy, lines, reportDir };
}

const failing = (r: Report, party: 'client' | 'server') => r.checks.filter((c) => c.verdict === 'fail' && (c.group === 'client') === (party === 'client'));
const clausesOf = (checks: CheckResult[]) => [...new Set(checks.map((c) => c.clause))].sort();
const check = (r: Report, id: string) => r.checks.find((c) => c.id === id)!;

describe('the active suite through the proxy: passive findings on the clauses the active run fails', () => {
  const TABLE = readExpectations();
  for (const fault of ['missing-header-401', 'wrong-error-text', 'quota-as-401', 'query-key-accepted', 'schema-break', 'html-errors', 'echo-credential', 'replays-cached'] as const) {
    test(`mock fault ${fault}`, async () => {
      const mock = await startMock({ keys: FAULT_KEYS, faults: [fault] });
      const { proxy } = await proxied(mock.url);
      try {
        const active = await runInProcess(['--target', proxy.url], FAULT_ENV);
        const passive = await proxy.stop();
        const row = TABLE[`fault:${fault}`]!;
        const expected = 'failing' in row ? row.failing : [];
        // the proxy is transparent: the active run through it fails what it fails going direct
        expect(active.report().checks.filter((c) => c.verdict === 'fail').map((c) => c.id)).toEqual(expected);
        // what the proxy can see: every check but those whose request Node refuses or that go elsewhere (raw bytes, plain http)
        const visible = expected.filter((id) => !activeOnly(catalog.find((c) => c.id === id)!));
        expect(clausesOf(failing(passive, 'server'))).toEqual([...new Set(visible.map((id) => clauseOf.get(id)!))].sort());
        // and the same checks, where the traffic held their request
        expect(failing(passive, 'server').map((c) => c.id).filter((id) => !visible.includes(id))).toEqual([]);
      } finally {
        await proxy.stop();
        await mock.close();
      }
    });
  }

  test('a server written here: 401 for a missing header, a success body without "ok", a 403 as text', async () => {
    const server = http.createServer((req, res) => {
      const auth = req.headers.authorization;
      const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (!auth) return json(401, { ok: false, error: 'Invalid API key' });
      if (auth === FAULT_KEYS.quota) return res.writeHead(403, { 'content-type': 'text/plain' }).end('Quota exceeded');
      if (auth === FAULT_KEYS.valid) return json(200, req.url?.startsWith('/directory') && req.method === 'GET' ? { directories: [] } : { ok: true, directories: [], files: [], file: { file_id: 'f', file_name: 'video.mp4' }, upload: { url: 'https://u.example/x', method: 'PUT', headers: {} }, result: [], task_id: 't', output: [] });
      return json(401, { ok: false, error: 'Invalid API key' });
    });
    const url = await listenLocal(server);
    const { proxy } = await proxied(url);
    try {
      const direct = await runInProcess(['--target', url], FAULT_ENV);
      const through = await runInProcess(['--target', proxy.url], FAULT_ENV);
      const passive = await proxy.stop();
      const activeFailing = direct.report().checks.filter((c) => c.verdict === 'fail');
      expect(clausesOf(through.report().checks.filter((c) => c.verdict === 'fail'))).toEqual(clausesOf(activeFailing));
      const visible = activeFailing.filter((c) => !activeOnly(catalog.find((x) => x.id === c.id)!));
      expect(clausesOf(failing(passive, 'server'))).toEqual(clausesOf(visible));
      expect(clausesOf(visible)).toEqual(expect.arrayContaining(['auth.missing-header', 'auth.quota-exceeded', 'auth.valid-key', 'response.json']));
    } finally {
      await proxy.stop();
      server.close();
    }
  });
});

describe("the caller's side: client findings, never the server's", () => {
  test('a key in the query string, the Bearer scheme, JSON posted without its content type', async () => {
    const mock = await startMock({ keys: FAULT_KEYS });
    const { proxy, lines } = await proxied(mock.url);
    try {
      const token = FAULT_KEYS.valid.slice('Basic '.length);
      await request(`${proxy.url}/directory?api_key=${encodeURIComponent(token)}`).then((r) => r.body.dump());
      await request(`${proxy.url}/directory`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.body.dump());
      await request(`${proxy.url}/file`, { method: 'POST', headers: { authorization: FAULT_KEYS.valid, 'content-type': 'text/plain' }, body: '{"file_name":"video.mp4"}' }).then((r) => r.body.dump());
      const report = await proxy.stop();
      expect(failing(report, 'client').map((c) => c.id).sort()).toEqual(['client.json-content-type', 'client.placement', 'client.prefix']);
      expect(check(report, 'client.placement').message).toContain('the client: expected no key in the query string, sent one in the query parameter api_key');
      expect(check(report, 'client.prefix').message).toContain('sent the Bearer scheme');
      expect(check(report, 'client.json-content-type').findings?.[0]).toMatchObject({ kind: 'client', message: 'the client: expected Content-Type application/json on a JSON body, sent Content-Type text/plain' });
      // the reference mock answered each as the contract says: no server finding
      expect(failing(report, 'server')).toEqual([]);
      expect(lines.filter((l) => l.includes('✗ client'))).toHaveLength(3);
      expect(lines.filter((l) => l.includes('✗ server'))).toEqual([]);
      expect(check(report, 'hdr.prefix.bearer').outcome).toBe('1 exchange judged, 0 offending');
      expect(check(report, 'hdr.placement.query-api_key').outcome).toBe('1 exchange judged, 0 offending');
    } finally {
      await proxy.stop();
      await mock.close();
    }
  });
});

test('a key sent over plain http to a host outside loopback is a client finding (client.https), a keyless request or loopback is not', () => {
  const judge = (url: string, headers: Array<[string, string]>) =>
    JUDGES['client-https'].judge(catalogClient.find((c) => c.id === 'client.https')!, [{ probe: { key: 'p', operationId: 'listDirectories', credential: 'none' }, exchange: { request: { method: 'GET', url: new URL(url), headers }, response: { status: 200, headers: {}, body: '', truncated: false, ms: 0 } } }], { secrets: registeredSecrets() } as never);
  expect(judge('http://api.example.com/directory', [['Authorization', FAULT_KEYS.valid]]).findings[0]?.message).toBe('the client: expected https for a request carrying a key, sent it over plain http to api.example.com');
  expect(judge('http://api.example.com/directory', []).verdict).toBe('pass');
  expect(judge('http://127.0.0.1:4010/directory', [['Authorization', FAULT_KEYS.valid]]).verdict).toBe('pass');
  expect(judge('https://api.example.com/directory', [['Authorization', FAULT_KEYS.valid]]).verdict).toBe('pass');
});

describe('never in the way: bodies pass through unchanged and are judged within the caps', () => {
  const HUGE = randomBytes(3 * 1024 * 1024);
  const DIRECTORIES = JSON.stringify({ ok: true, directories: [{ id: 'dir_1', ttl: 60, added_on: '2024-01-01' }] });
  const BROKEN = JSON.stringify({ ok: true, directories: { id: 'dir_1' } });
  const upstream = http.createServer((req, res) => {
    const which = new URL(req.url!, 'http://x').searchParams.get('body');
    if (which === 'huge') return res.writeHead(200, { 'content-type': 'application/json', 'content-length': HUGE.length }).end(HUGE);
    if (which === 'gzip' || which === 'gzip-broken') {
      const z = zlib.gzipSync(which === 'gzip' ? DIRECTORIES : BROKEN);
      return res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': z.length }).end(z);
    }
    // oddly chunked: 1 byte, then 7, then the rest, each a chunk of its own, with pauses
    res.writeHead(200, { 'content-type': 'application/json', 'x-odd': 'Value With  Spaces' });
    const parts = [DIRECTORIES.slice(0, 1), DIRECTORIES.slice(1, 8), DIRECTORIES.slice(8)];
    const next = () => (parts.length ? (res.write(parts.shift()!), setTimeout(next, 15)) : res.end());
    next();
  });

  test('huge, oddly chunked and gzip bodies: byte-identical to going direct; judged or counted', async () => {
    const url = await listenLocal(upstream);
    const { proxy } = await proxied(url, FAULT_KEYS, { maxBodyBytes: 64 * 1024 });
    try {
      const get = async (base: string, body: string) => {
        const r = await request(`${base}/directory?body=${body}`, { headers: { authorization: FAULT_KEYS.valid } });
        const headers = Object.fromEntries(Object.entries(r.headers).filter(([k]) => !['connection', 'keep-alive', 'transfer-encoding', 'date'].includes(k)));
        return { status: r.statusCode, headers, bytes: Buffer.from(await r.body.arrayBuffer()) };
      };
      for (const body of ['huge', 'odd', 'gzip', 'gzip-broken']) {
        const [direct, through] = [await get(url, body), await get(proxy.url, body)];
        expect(through.status).toBe(direct.status);
        expect(through.headers, body).toEqual(direct.headers);
        expect(through.bytes.equals(direct.bytes), body).toBe(true);
      }
      const report = await proxy.stop();
      const valid = check(report, 'auth.valid.listDirectories');
      // the huge body is counted, not judged; the gzip ones are decoded and judged: one passes, one fails on the schema
      expect(valid.outcome).toBe('3 exchanges judged, 1 offending, 1 not judged');
      expect(valid.findings?.[0]?.message).toMatch(/^body\.directories: must be array/);
      // undici sends the header name in lower case: the same exchanges are hdr.name.lowercase's evidence too
      expect(report.checks.filter((c) => c.verdict === 'fail').map((c) => c.id)).toEqual(['auth.valid.listDirectories', 'hdr.name.lowercase']);
    } finally {
      await proxy.stop();
      upstream.close();
    }
  });

  test('an upstream that is down: the client gets a 502, the report says no answer came (exit 3)', async () => {
    const port = await refusingPort();
    const { proxy, lines } = await proxied(port.url);
    try {
      const r = await request(`${proxy.url}/directory`, { headers: { authorization: FAULT_KEYS.valid } });
      expect(r.statusCode).toBe(502);
      expect(await r.body.text()).toMatch(/^502 Bad Gateway: the upstream connection refused/);
      const report = await proxy.stop();
      expect(check(report, 'auth.valid.listDirectories')).toMatchObject({ verdict: 'error' });
      expect(report.summary.exitCode).toBe(3);
      expect(lines.join('\n')).toContain('1 without an answer from the upstream');
    } finally {
      await proxy.stop();
      port.close();
    }
  });
});

describe('the command', () => {
  test('proxy --stop-after 2: forwards, then writes the reports and exits with their code; a planted key leaves no trace', async () => {
    // a key no test knows, configured as the valid key, sent in the query string and echoed by the upstream
    const KEY = `Basic ${randomBytes(30).toString('base64')}`;
    const TOKEN = KEY.slice('Basic '.length);
    const UNKNOWN = randomBytes(24).toString('base64');
    const mock = await startMock({ keys: { valid: KEY }, faults: ['echo-credential'] });
    const dir = tempDir();
    const child = runCli(['proxy', '--upstream', mock.url, '--port', '0', '--stop-after', '3', '--report-dir', dir], cleanEnv({ FFMPEG_API_KEY: KEY }), {
      onOutput: ({ stdout }) => {
        const m = /passive proxy on (http:\/\/\S+)/.exec(stdout);
        if (m && !sent) {
          sent = true;
          void (async () => {
            await request(`${m[1]}/directory?api_key=${encodeURIComponent(TOKEN)}`).then((r) => r.body.dump());
            await request(`${m[1]}/directory`, { headers: { authorization: `Bearer ${UNKNOWN}` } }).then((r) => r.body.dump());
            await request(`${m[1]}/directory`, { headers: { authorization: KEY } }).then((r) => r.body.dump());
          })();
        }
      },
    });
    let sent = false;
    const run = await child;
    await mock.close();
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toContain('✗ client auth.placement');
    const files = readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')] as const);
    expect(files.map(([f]) => f).sort()).toEqual(['junit.xml', 'report.html', 'report.json', 'report.md']);
    const traces = (s: string) => Array.from({ length: s.length - 11 }, (_, i) => s.slice(i, i + 12).toLowerCase());
    for (const [where, text] of [...files, ['stdout', run.stdout], ['stderr', run.stderr]] as const) {
      const lower = decodeURIComponent(text.replace(/%(?![0-9A-Fa-f]{2})/g, '%25')).toLowerCase();
      expect([...traces(TOKEN), ...traces(UNKNOWN)].filter((t) => lower.includes(t) || text.toLowerCase().includes(t)), where).toEqual([]);
    }
    expect(readFileSync(join(dir, 'report.json'), 'utf8')).toContain('[REDACTED:');
  });

  test('SIGTERM stops it: the reports of the traffic seen are written, the exit code is their verdict\'s (not 130)', async () => {
    const mock = await startMock({ keys: FAULT_KEYS, faults: ['missing-header-401'] });
    const dir = tempDir();
    let sent = false;
    const run = await runCli(['proxy', '--upstream', mock.url, '--port', '0', '--report-dir', dir], cleanEnv(FAULT_ENV), {
      onOutput: ({ stdout }, child) => {
        const m = /passive proxy on (http:\/\/\S+)/.exec(stdout);
        if (m && !sent) {
          sent = true;
          void request(`${m[1]}/directory`).then(async (r) => {
            await r.body.dump();
            child.kill('SIGTERM');
          });
        }
      },
    });
    await mock.close();
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toContain('✗ server auth.missing-header (MUST) auth.missing.listDirectories — GET /directory → 401: expected 400');
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
    expect(report.interrupted).toBe(false);
    expect(reportErrors(report)).toEqual([]);
    expect(check(report, 'auth.missing.listDirectories')).toMatchObject({ verdict: 'fail', outcome: '1 exchange judged, 1 offending' });
    // documented operations never seen: not verified, with what would verify them
    expect(report.summary.gaps.find((g) => g.remedy === 'traffic to POST /ffmpeg/run')?.checks).toContain('auth.valid.runCommand');
  });

  test('bad input: one line, exit 2', async () => {
    const none = await runCli(['proxy']);
    expect([none.code, none.stderr.trim()]).toEqual([2, 'error: proxy needs --upstream URL (see proxy --help)']);
    const plain = await runCli(['proxy', '--upstream', 'http://example.com']);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toMatch(/^error: refusing to forward keys over plain http to example.com/);
  });
});
