// Servers shaped like the ones people run, written here (not the bundled mock's fault switches): an
// API whose processing needs an input that exists, one that implements part of the API, a wrong
// base path. Each is the reference mock behind a loopback front that answers some requests itself.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createMockServer, DEFAULT_KEYS } from '../mock/server.js';
import { loadContract } from '../core/spec.js';
import { buildCatalog } from '../suites/catalog.js';
import { cleanEnv, failing, listenLocal, MOCK_ENV, runInProcess } from './helpers.js';

type Gate = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => boolean;

/** The reference mock behind a front: `gate` sees each request with its body, and may answer it itself. */
async function front(gate: Gate, closeOn?: (raw: string) => boolean) {
  const mock = createMockServer();
  const [api] = mock.listeners('request') as http.RequestListener[];
  const [clientError] = mock.listeners('clientError') as Array<(...a: unknown[]) => void>;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c)).on('end', () => {
      if (gate(req, res, Buffer.concat(chunks).toString('utf8'))) return;
      // The mock reads no body of its own for these routes: hand it the request as it came.
      api!(req, res);
    });
  });
  // closeOn: a malformed request whose bytes it matches is refused by closing the connection, without an answer.
  server.on('clientError', (err: Error & { rawPacket?: Buffer }, socket: import('node:net').Socket) =>
    closeOn?.(err.rawPacket?.toString('latin1') ?? '') ? socket.destroy() : clientError!(err, socket),
  );
  return { url: await listenLocal(server), close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))) };
}

const json = (res: http.ServerResponse, status: number, body: unknown) => (res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body)), true);
const validKey = (req: http.IncomingMessage) => req.headers.authorization === DEFAULT_KEYS.valid;

/**
 * A faithful API with state, as the real service: POST /directory creates a directory, POST /file
 * registers a file in it, POST /ffmpeg/process needs its input to exist (`needsBytes`: and its
 * bytes uploaded, which the suite never does) else 404 "File not found". Every auth answer is the
 * mock's.
 */
function stateful(needsBytes: boolean): Gate {
  const dirs = new Set<string>();
  const files = new Set<string>();
  let n = 0;
  return (req, res, body) => {
    if (!validKey(req)) return false;
    const listed = /^\/directory\/([^/?]+)$/.exec(req.url ?? '');
    if (req.method === 'GET' && listed && dirs.has(listed[1]!)) return json(res, 200, { ok: true, files: [...files].filter((f) => f.startsWith(`${listed[1]}/`)).map((f) => ({ file_name: f.split('/')[1] })) });
    if (req.method !== 'POST') return false;
    const sent = (() => {
      try {
        return JSON.parse(body) as Record<string, unknown>;
      } catch {
        return {};
      }
    })();
    if (req.url === '/directory') {
      const id = `dir_${++n}`;
      dirs.add(id);
      return json(res, 200, { ok: true, directory: { id, ttl: 86400 } });
    }
    if (req.url === '/file') {
      const dir = typeof sent.dir_id === 'string' ? sent.dir_id : undefined;
      if (dir === undefined || !dirs.has(dir)) return json(res, 404, { ok: false, error: 'Directory not found' });
      const path = `${dir}/${String(sent.file_name)}`;
      files.add(path);
      return json(res, 200, { ok: true, file: { dir_id: dir, file_path: path, file_name: sent.file_name }, upload: { url: `https://storage.example/upload/${path}`, method: 'PUT', headers: {}, expiresInSeconds: 3600 } });
    }
    if (req.url === '/ffmpeg/process') {
      const input = (sent.task as { inputs?: Array<{ file_path?: string }> } | undefined)?.inputs?.[0]?.file_path ?? '';
      if (needsBytes || !files.has(input)) return json(res, 404, { ok: false, error: `File not found: ${input}` });
      return json(res, 200, { ok: true, result: [{ file_name: 'output.mp4', size_bytes: 1 }], usage: {} });
    }
    return false;
  };
}

describe.concurrent('operations whose success needs state', () => {
  test('the chain creates the input (directory → file → process): CONFORMANT, the success shape verified', async () => {
    const target = await front(stateful(false));
    try {
      const run = await runInProcess(['--target', target.url], cleanEnv(MOCK_ENV));
      expect(run.code, run.stdout).toBe(0);
      const report = run.report();
      expect(failing(report)).toEqual([]);
      expect(report.checks.find((c) => c.id === 'auth.valid.processTask')).toMatchObject({ verdict: 'pass' });
      // The input it processed is the one the chain registered, not the spec's example.
      expect(report.checks.find((c) => c.id === 'auth.valid.processTask')?.exchange?.request.url).toMatch(/\/ffmpeg\/process$/);
      expect(run.stdout).toMatch(/^CONFORMANT \(every applicable MUST check verified, none failed\)/m);
    } finally {
      await target.close();
    }
  });

  test('the input needs bytes the suite never uploads: no auth.valid-key failure; the key accepted, the success shape not verified with its reason', async () => {
    const target = await front(stateful(true));
    try {
      const run = await runInProcess(['--target', target.url], cleanEnv(MOCK_ENV));
      expect(run.code, run.stdout).toBe(0);
      const report = run.report();
      expect(failing(report)).toEqual([]);
      const processed = report.checks.find((c) => c.id === 'auth.valid.processTask')!;
      expect(processed).toMatchObject({ verdict: 'not-verified', cause: 'scope', category: 'success shape' });
      expect(processed.reason).toMatch(/^the authentication layer accepted the key \(404 \{"ok":false,"error":"File not found: dir_\d+\/video\.mp4"\} is none of the contract's authentication answers\); the success shape is not verified: the request names what its setup \(POST \/directory → POST \/file\) created/);
      expect(report.summary.verdict).toBe('partial');
      expect(run.stdout).toMatch(/^CONFORMANT \(partial\)/m);
    } finally {
      await target.close();
    }
  });

  test('a documented authentication error to the valid key is still a failure', async () => {
    const target = await front((req, res) => (validKey(req) && req.url === '/ffmpeg/process' ? json(res, 401, { ok: false, error: 'Invalid API key' }) : false));
    try {
      const run = await runInProcess(['--target', target.url], cleanEnv(MOCK_ENV));
      expect(run.code, run.stdout).toBe(1);
      expect(failing(run.report())).toContain('auth.valid.processTask');
    } finally {
      await target.close();
    }
  });

  test('a setup request whose answer is not JSON: the reason names it, and never --allow-writes', async () => {
    const target = await front((req, res) => (validKey(req) && req.method === 'POST' && req.url === '/directory' ? (res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found'), true) : false));
    try {
      const run = await runInProcess(['--target', target.url], cleanEnv(MOCK_ENV));
      const file = run.report().checks.find((c) => c.id === 'auth.valid.createFile')!;
      expect(file).toMatchObject({ verdict: 'not-verified', category: 'setup' });
      expect(file.reason).toMatch(/^the setup request POST \/directory answered 404 \(Content-Type text\/plain\) "Not Found", which is not JSON/);
      expect(run.stdout).not.toMatch(/to verify: --allow-writes/);
    } finally {
      await target.close();
    }
  });
});

describe('--plan shows the chain', () => {
  let target: Awaited<ReturnType<typeof front>>;
  beforeAll(async () => void (target = await front(() => false)));
  afterAll(() => target.close());
  test('setup requests are named for the request they feed', async () => {
    const run = await runInProcess(['--target', target.url, '--plan'], cleanEnv(MOCK_ENV));
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/POST +\/directory .*\(setup: body \/dir_id for createFile\.valid\)/);
    expect(run.stdout).toMatch(/POST +\/file .*\(setup: body \/task\/inputs\/0\/file_path for processTask\.valid\)/);
    expect(run.stdout).toContain('Chain: POST /directory → POST /file → POST /ffmpeg/process');
  });
});

/** A team's mock that serves only GET /directory (the mock's answers), and 404 pages for everything else, as Express does. */
const onlyListing: Gate = (req, res) => {
  if (req.method === 'GET' && (req.url ?? '').split('?')[0] === '/directory') return false;
  res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' }).end(`<pre>Cannot ${req.method} ${req.url?.split('?')[0]}</pre>`);
  return true;
};

describe.concurrent('a server that implements part of the API', () => {
  test('one finding names the five operations it does not implement; no auth check fails for them', async () => {
    const target = await front(onlyListing);
    try {
      const run = await runInProcess(['--target', target.url], cleanEnv(MOCK_ENV));
      expect(run.code, run.stdout).toBe(1);
      const report = run.report();
      expect(failing(report)).toEqual(['api.operations-served']);
      const served = report.checks.find((c) => c.id === 'api.operations-served')!;
      expect(served.findings).toHaveLength(1);
      for (const op of ['createDirectory', 'listFiles', 'createFile', 'processTask', 'runCommand']) expect(served.message).toContain(`(${op}): 404 to all`);
      expect(served.message).toMatch(/to check only what it serves: --operation listDirectories$/);
      expect(served.outcome).toBe('5 of 6 operations not implemented: createDirectory, listFiles, createFile, processTask, runCommand');
      // hdr.placement.body sends POST /file: not implemented there, not a failure of auth.placement.
      expect(report.checks.find((c) => c.id === 'hdr.placement.body')).toMatchObject({ verdict: 'not-verified', category: 'not implemented' });
      expect(report.checks.find((c) => c.id === 'auth.missing.createFile')?.reason).toMatch(/^POST \/file \(createFile\) is not implemented at this target \(404 to all \d of its requests, with and without a key\)/);
      expect(run.stdout).toMatch(/api\.operations-served/);
    } finally {
      await target.close();
    }
  });

  test('--operation listDirectories against it: exit 0, the run says it was narrowed', async () => {
    const target = await front(onlyListing);
    try {
      const run = await runInProcess(['--target', target.url, '--operation', 'listDirectories'], cleanEnv(MOCK_ENV));
      expect(run.code, run.stdout).toBe(0);
      const report = run.report();
      expect(report.checks.every((c) => c.verdict !== 'fail')).toBe(true);
      expect(report.checks.map((c) => c.id)).toContain('api.operations-served');
      expect(report.checks.map((c) => c.id)).not.toContain('hdr.placement.body');
      expect(report.checks.some((c) => c.id.endsWith('.createFile'))).toBe(false);
      expect(report.selection).toEqual({ only: [], skip: [], operations: ['listDirectories'] });
      expect(run.stdout).toMatch(/^Selection: \d+ checks \(--operation listDirectories\)$/m);
      // Narrowed, in every view: CONFORMANT alone would claim the whole catalog.
      const whole = buildCatalog(await loadContract()).length;
      const scope = { checks: report.checks.length, of: whole, by: ['--operation listDirectories'] };
      expect(report.summary.scope).toEqual(scope);
      expect(report.catalogChecks).toBe(whole);
      const said = `[narrowed: ${scope.checks} of ${whole} checks, --operation listDirectories]`;
      expect(run.stdout.split('\n').find((l) => /^CONFORMANT/.test(l))).toContain(said);
      expect(readFileSync(join(run.dir, 'report.md'), 'utf8')).toContain(said);
      expect(readFileSync(join(run.dir, 'report.html'), 'utf8')).toContain(said);
      const junit = readFileSync(join(run.dir, 'junit.xml'), 'utf8');
      expect(junit).toMatch(new RegExp(`<testsuites name="[^"]*${said.replace(/[[\]]/g, '\\$&')}`));
      expect(junit).toContain(`<property name="scope" value="${scope.checks} of ${whole} checks"/>`);
      expect(junit).toContain('<property name="scope.by" value="--operation listDirectories"/>');
    } finally {
      await target.close();
    }
  });

  test('--operation with a name that is not an operationId: exit 2, one line with the nearest', async () => {
    const run = await runInProcess(['--operation', 'listDirectory'], cleanEnv());
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe('error: --operation listDirectory is no operationId of the spec: did you mean listDirectories? (one of listDirectories, createDirectory, listFiles, createFile, processTask, runCommand)');
  });
});

describe.concurrent('a wrong base URL', () => {
  test('the API at / and --target …/api: exit 2, one line naming the base URL and what answered', async () => {
    const target = await front((req, res) => ((req.url ?? '').startsWith('/api/') ? (res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>'), true) : false));
    try {
      const run = await runInProcess(['--target', `${target.url}/api`], cleanEnv(MOCK_ENV));
      expect(run.code, run.stdout).toBe(2);
      const lines = run.stderr.split('\n').filter(Boolean);
      expect(lines).toEqual([`error: no documented operation answers at ${target.url}/api: GET /directory and GET /directory/dir_123 got 404 (text/html); is the base URL right? (the spec's paths, such as /directory, are appended to it)`]);
    } finally {
      await target.close();
    }
  });

  test('a server that serves the API but not GET /directory is still judged (exit 1), not taken for a wrong base URL', async () => {
    const target = await front((req, res) => (req.method === 'GET' && (req.url ?? '').split('?')[0] === '/directory' ? (res.writeHead(404, { 'content-type': 'text/html' }).end('Not Found'), true) : false));
    try {
      const run = await runInProcess(['--target', target.url], cleanEnv(MOCK_ENV));
      expect(run.code, run.stdout).toBe(1);
      expect(failing(run.report())).toContain('api.operations-served');
    } finally {
      await target.close();
    }
  });
});

describe.concurrent('a held throttle for one credential is its answer', () => {
  test('429 to the quota-exhausted key on every try, the other keys answered at once: judged, exit 1 on auth.quota-exceeded', async () => {
    const target = await front((req, res) =>
      req.headers.authorization === DEFAULT_KEYS.quota ? (res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '0' }).end('{"ok":false,"error":"Too many requests"}'), true) : false,
    );
    try {
      const run = await runInProcess(['--target', target.url], cleanEnv(MOCK_ENV));
      expect(run.code, run.stdout).toBe(1);
      const report = run.report();
      const quota = report.checks.filter((c) => c.id.startsWith('auth.quota.'));
      expect(quota.length).toBeGreaterThan(0);
      for (const c of quota) {
        expect(c).toMatchObject({ verdict: 'fail', clause: 'auth.quota-exceeded' });
        expect(c.message).toMatch(/^expected 403 \{"ok":false,"error":"Quota exceeded"\}, got 429 \{"ok":false,"error":"Too many requests"\}/);
      }
      expect(report.checks.filter((c) => c.verdict === 'error').map((c) => c.id)).toEqual([]);
      expect(failing(report).every((id) => id.startsWith('auth.quota.'))).toBe(true);
    } finally {
      await target.close();
    }
  });

  test('429 to every credential: still inconclusive (exit 3), never a failure', async () => {
    const target = await front((_req, res) => (res.writeHead(429, { 'retry-after': '0' }).end(), true));
    try {
      const run = await runInProcess(['--target', target.url], cleanEnv(MOCK_ENV));
      expect(run.code, run.stdout).toBe(3);
      expect(run.report().summary.verdicts.fail).toBe(0);
    } finally {
      await target.close();
    }
  });
});

describe.concurrent('closing is refusing, when the server is otherwise well', () => {
  test('a server that closes the connection on a bare CR inside the header, and answers everything else as documented: CONFORMANT', async () => {
    const target = await front(() => false, (raw) => /\r(?!\n)/.test(raw));
    try {
      const run = await runInProcess(['--target', target.url], cleanEnv(MOCK_ENV));
      expect(run.code, run.stdout).toBe(0);
      const report = run.report();
      expect(report.summary.verdict).toBe('conformant');
      expect(report.checks.find((c) => c.id === 'hdr.whitespace.bare-cr')).toMatchObject({
        verdict: 'pass',
        outcome: 'closed without an answer (not served); a well-formed request on a fresh connection right after: 400',
      });
    } finally {
      await target.close();
    }
  });

  test('a target that drops every connection after the preflight stays a transport failure, never a pass', async () => {
    let answered = 0;
    const target = await front((_req, res) => {
      if (++answered <= 2) return false; // the preflight's two requests
      res.socket?.destroy();
      return true;
    }, () => true);
    try {
      const run = await runInProcess(['--target', target.url], cleanEnv(MOCK_ENV));
      expect(run.code, run.stdout).toBe(3);
      const report = run.report();
      expect(report.checks.find((c) => c.id === 'hdr.whitespace.bare-cr')?.verdict).toBe('error');
      expect(report.checks.filter((c) => c.verdict === 'pass' && c.judge === 'rejected').map((c) => c.id)).toEqual([]);
    } finally {
      await target.close();
    }
  });
});

describe.concurrent('hints from causes', () => {
  test('--timeout 1 against a server that answers in 1.5 s: the line names --timeout, not only "cannot reach"', async () => {
    const server = http.createServer((_req, res) => void setTimeout(() => json(res, 400, { ok: false, error: 'Missing Authorization header' }), 1500));
    const url = await listenLocal(server);
    try {
      const run = await runInProcess(['--target', url, '--timeout', '1'], cleanEnv(MOCK_ENV));
      expect(run.code).toBe(2);
      const lines = run.stderr.split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^error: cannot reach target http:\/\/127\.0\.0\.1:\d+: no complete answer from 127\.0\.0\.1:\d+ in time \(--timeout is 1000 ms; no answer arrived at all\): raise --timeout if the target is slow$/);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  test("a key made with echo … | base64 (its decoded form ends in echo's newline): the warning says so", async () => {
    const target = await front(() => false);
    try {
      const echoed = `Basic ${Buffer.from(`${Buffer.from(DEFAULT_KEYS.valid.slice(6), 'base64').toString()}\n`).toString('base64')}`;
      const run = await runInProcess(['--target', target.url], cleanEnv({ ...MOCK_ENV, FFMPEG_API_KEY: echoed }));
      expect(run.code).toBe(3);
      expect(run.stderr).toMatch(/^warning: the target refused FFMPEG_API_KEY \(GET \/directory answered 401\): its decoded form ends in a line break, as a key made with `echo … \| base64` does/m);
      expect(run.stderr).not.toMatch(/regenerated/);
    } finally {
      await target.close();
    }
  });
});
