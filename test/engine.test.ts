// The engine's promises: the run sends exactly what the plan lists, every check of the catalog
// is reported (a check no suite runs is a harness failure, exit 2), and verdicts are data.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { optionsFromFlags, parseCli, resolveConfig } from '../core/config.js';
import { UsageError } from '../core/errors.js';
import { startMock, type MockOptions } from '../mock/server.js';
import { runSuites } from '../app/run.js';
import { loadContract } from '../core/spec.js';
import { buildCatalog, type Check } from '../suites/catalog.js';
import { wrongKey } from '../suites/engine.js';
import { JUDGES } from '../suites/judges.js';
import { select, unmatched } from '../suites/select.js';
import type { TargetEntry } from '../core/targets.js';
import { cleanEnv, listenLocal, MOCK_ENV, namedTarget, runInProcess, tempDir, type CliRun } from './helpers.js';

describe('every check of the catalog is reported', () => {
  test('a check that breaks before its judge rules is an error verdict that says so, not a lost check', async () => {
    const mock = await startMock();
    try {
      const contract = await loadContract();
      const catalog = buildCatalog(contract);
      const broken: Check = { ...catalog.find((c) => c.id === 'auth.missing.listDirectories')!, id: 'auth.missing.broken', operationId: 'noSuchOperation' };
      const config = resolveConfig(optionsFromFlags(parseCli(['--target', mock.url, '--report-dir', tempDir()])), { FFMPEG_API_KEY: 'Basic dGVzdF91c2VyX2tleV9hYmNkZWZnaGlqa2xtbm9w' });
      const report = await runSuites(config, contract, [...catalog, broken]);
      const result = report.checks.find((c) => c.id === 'auth.missing.broken');
      expect(result?.verdict).toBe('error');
      expect(result?.message).toMatch(/the check itself failed: .*noSuchOperation/);
      expect(report.summary.exitCode).toBe(3);
    } finally {
      await mock.close();
    }
  });

  test('a planted throwing check on a SHOULD clause keeps its clause and level, and does not change the exit code', async () => {
    const mock = await startMock();
    try {
      const contract = await loadContract();
      const catalog = buildCatalog(contract);
      const original = catalog.find((c) => c.id === 'hdr.whitespace.leading-space')!;
      expect(original.level).toBe('SHOULD');
      // Its judge throws (no such operation in the spec): a harness bug, never the target's doing.
      const planted: Check = { ...original, id: 'planted.throws', operationId: 'noSuchOperation' };
      expect(JUDGES.documented.judge(planted, [], { contract, validator: () => { throw new Error('unused'); }, maxBodyBytes: 1, secrets: { forms: () => [], spread: () => new Map(), contains: () => false } })).toMatchObject({ verdict: 'error', reason: expect.stringMatching(/^the check itself failed: its judge broke: /) });
      const config = resolveConfig(optionsFromFlags(parseCli(['--target', mock.url, '--report-dir', tempDir()])), { FFMPEG_API_KEY: 'Basic dGVzdF91c2VyX2tleV9hYmNkZWZnaGlqa2xtbm9w' });
      const report = await runSuites(config, contract, [...catalog, planted]);
      const result = report.checks.find((c) => c.id === 'planted.throws');
      expect(result).toMatchObject({ verdict: 'error', clause: original.clause.id, level: 'SHOULD' });
      expect(result?.message).toMatch(/the check itself failed: .*noSuchOperation/);
      expect(report.summary.levels.SHOULD.error).toBe(1);
      expect(report.summary.exitCode).toBe(0); // a SHOULD check counts only with --strict
    } finally {
      await mock.close();
    }
  });

  test('an aggregate check records the requests it did not see (out of scope), and the views show them', async () => {
    const mock = await startMock();
    try {
      const run = await runInProcess(['--target', mock.url], cleanEnv({ FFMPEG_API_KEY: MOCK_ENV.FFMPEG_API_KEY })); // no quota or revoked key
      expect(run.code, run.stderr).toBe(0);
      const echo = run.report().checks.find((c) => c.id === 'security.no-credential-echo')!;
      expect(echo.verdict).toBe('pass');
      expect(echo.unseen?.length).toBeGreaterThan(0);
      expect(echo.unseen).toEqual(expect.arrayContaining(['listDirectories.revoked', 'listDirectories.quota']));
      const full = await runInProcess(['--target', mock.url], cleanEnv(MOCK_ENV));
      expect(full.report().checks.find((c) => c.id === 'security.no-credential-echo')!.unseen ?? []).not.toContain('listDirectories.revoked');
      const md = readFileSync(join(run.dir, 'report.md'), 'utf8');
      expect(md).toContain(`not seen, out of this run's scope: ${echo.unseen!.length} requests, ${echo.unseen![0]}`);
    } finally {
      await mock.close();
    }
  });

  test('a planted check that no suite file selects makes the run fail to complete (exit 2), naming it', async () => {
    const mock = await startMock();
    try {
      const contract = await loadContract();
      const catalog = buildCatalog(contract);
      const planted: Check = { ...catalog.find((c) => c.id === 'auth.missing.listDirectories')!, id: 'planted.unselected', suite: 'nowhere' as Check['suite'] };
      const config = resolveConfig(optionsFromFlags(parseCli(['--target', mock.url, '--report-dir', tempDir()])), { FFMPEG_API_KEY: 'Basic dGVzdF91c2VyX2tleV9hYmNkZWZnaGlqa2xtbm9w' });
      const run = runSuites(config, contract, [...catalog, planted]);
      await expect(run).rejects.toThrow(UsageError);
      await expect(run).rejects.toThrow(/planted\.unselected \(suite nowhere\) is in the catalog but no suite file ran it/);
      expect(await run.catch((e: UsageError) => e.code)).toBe(2);
    } finally {
      await mock.close();
    }
  });
});

// --- one schedule: --plan lists exactly what the run sends ------------------------------------

interface Row {
  method: string;
  path: string;
  credential: string;
  raw: boolean;
}

/** The request rows that `--plan` prints (method, path without query, credential, transport). */
function planRows(stdout: string): Row[] {
  return stdout.split('\n').flatMap((line) => {
    const m = /^\s*\d+\s+([A-Z]+)\s+(\S+)\s+(.+?)\s+(undici|raw socket)\s+\S/.exec(line);
    return m ? [{ method: m[1]!, path: m[2]!.replace(/\?.*$/, ''), credential: m[3]!, raw: m[4] === 'raw socket' }] : [];
  });
}

/** A loopback mock that records what reaches it: parsed requests, and those Node's parser refused. */
async function recordingMock(options: MockOptions = {}) {
  const seen: Array<{ method: string; path: string; authorization?: string }> = [];
  let malformed = 0;
  const mock = await startMock({
    ...options,
    onRequest: (res) => {
      if (!res) return void malformed++;
      seen.push({ method: res.req.method!, path: res.req.url!.replace(/\?.*$/, ''), authorization: res.req.headers.authorization });
    },
  });
  return { mock, seen, malformed: () => malformed };
}

/** How --plan names the credential a request carries, from the header the target received. */
function credentialLabel(authorization: string | undefined, env: Record<string, string>): string {
  if (authorization === undefined) return '(none)';
  if (authorization === wrongKey({ name: 'dashboardKey', header: 'Authorization', scheme: 'Basic' })) return '(a throwaway invalid key)';
  return Object.entries(env).find(([, v]) => v === authorization)?.[0] ?? 'reshaped';
}

/** A plan's path template (`/directory/{dirId}`) against the path a request was sent to. */
const samePath = (template: string, path: string) => new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path);

const QUOTA_LESS = Object.fromEntries(Object.entries(MOCK_ENV).filter(([k]) => k !== 'FFMPEG_API_QUOTA_EXCEEDED_KEY'));

describe('the run sends exactly the requests --plan lists', { timeout: 150_000 }, () => {
  test.for<{ name: string; args: string[]; env: Record<string, string>; entry?: Omit<TargetEntry, 'url'>; mock?: MockOptions }>([
    { name: 'direct', args: [], env: MOCK_ENV },
    { name: 'direct, no quota key', args: [], env: QUOTA_LESS },
    { name: 'direct, --max-requests 12', args: ['--max-requests', '12'], env: MOCK_ENV },
    { name: 'direct, writes declared off', args: [], env: MOCK_ENV, entry: { capabilities: { writes: false } } },
    { name: 'key-injecting-proxy', args: [], env: MOCK_ENV, entry: { profile: 'key-injecting-proxy' as const }, mock: { injectKey: true } },
    { name: 'key-injecting-proxy, --max-requests 3', args: ['--max-requests', '3'], env: MOCK_ENV, entry: { profile: 'key-injecting-proxy' as const }, mock: { injectKey: true } },
  ])('$name', async ({ args, env, entry, mock: options }) => {
    const target = await recordingMock(options);
    try {
      const select = entry ? namedTarget({ url: target.mock.url, ...entry }) : ['--target', target.mock.url];
      const plan = await runInProcess([...select, ...args, '--plan'], cleanEnv(env));
      expect(plan.code, plan.stderr).toBe(0);
      expect(target.seen.length + target.malformed()).toBe(0);
      const rows = planRows(plan.stdout);
      const flag = args.indexOf('--max-requests');
      const budget = flag >= 0 ? Number(args[flag + 1]) : Infinity;
      const run = await runInProcess([...select, ...args], cleanEnv(env));
      expect([0, 3], run.stdout + run.stderr).toContain(run.code);
      // Every request that arrived is a row of the plan: same method, path and credential.
      const open = [...rows];
      for (const s of target.seen) {
        const label = credentialLabel(s.authorization, env);
        const same = (r: Row) => r.method === s.method && samePath(r.path, s.path);
        // A reshaped key may arrive as anything, even as no Authorization header (the key under "Auth").
        let i = open.findIndex((r) => same(r) && r.credential === label);
        if (i < 0) i = open.findIndex((r) => same(r) && r.credential.endsWith(', reshaped'));
        expect(i, `${s.method} ${s.path} with ${label} was sent but is not in the plan`).toBeGreaterThanOrEqual(0);
        open.splice(i, 1);
      }
      // What did not arrive parsed was refused by Node's parser (raw-socket rows), or left by the budget.
      expect(open.length).toBe(target.malformed() + Math.max(0, rows.length - budget));
      expect(rows.filter((r) => r.raw).length).toBeGreaterThanOrEqual(target.malformed());
      if (budget !== Infinity) expect(target.seen.length + target.malformed()).toBe(budget);
    } finally {
      await target.mock.close();
    }
  });
});

// --- failures read in the contract's words, in every view --------------------------------------

/** A small loopback API: the documented answers, with one thing changed by `vary`. */
async function api(vary: (req: http.IncomingMessage) => { status: number; body: unknown } | undefined) {
  const server = http.createServer((req, res) => {
    const auth = req.headers.authorization;
    const answer = vary(req) ??
      (auth === undefined
        ? { status: 400, body: { ok: false, error: 'Missing Authorization header' } }
        : auth === MOCK_ENV.FFMPEG_API_KEY
          ? { status: 200, body: { ok: true, directories: [{ id: 'dir_1' }] } }
          : { status: 401, body: { ok: false, error: 'Invalid API key' } });
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
  });
  server.on('clientError', (_e, socket) => socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'));
  return { url: await listenLocal(server), close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))) };
}

/** Every view a run writes, and its console output. */
function views(run: CliRun): Record<string, string> {
  return {
    console: run.stdout,
    ...Object.fromEntries(['report.json', 'report.md', 'report.html', 'junit.xml'].map((f) => [f, readFileSync(join(run.dir, f), 'utf8')])),
  };
}

describe('failures read expected-then-observed in every view, never in the test framework\'s words', () => {
  test('401 to a request without a key: "expected 400 … got 401 …"', async () => {
    const target = await api((req) => (req.headers.authorization === undefined ? { status: 401, body: { ok: false, error: 'Invalid API key' } } : undefined));
    try {
      const run = await runInProcess(['--target', target.url, '--only', 'auth.missing.listDirectories', '--only', 'hdr.*'], cleanEnv(MOCK_ENV));
      expect(run.code).toBe(1);
      for (const [name, text] of Object.entries(views(run))) {
        const shown = text.replace(/&quot;/g, '"').replace(/\\"/g, '"');
        expect(shown, name).toContain('expected 400 {"ok":false,"error":"Missing Authorization header"}, got 401 {"ok":false,"error":"Invalid API key"}');
        expect(text, name).not.toMatch(/Object\.is|to deeply equal|AssertionError|toBe|toEqual/);
      }
      const finding = run.report().checks.find((c) => c.id === 'auth.missing.listDirectories')!.findings![0]!;
      expect(finding).toMatchObject({ kind: 'status', status: 401 });
    } finally {
      await target.close();
    }
  });

  test('"directories": "none" in the success body: each view names body.directories and the rule it broke', async () => {
    const target = await api((req) => (req.headers.authorization === MOCK_ENV.FFMPEG_API_KEY ? { status: 200, body: { ok: true, directories: 'none' } } : undefined));
    try {
      const run = await runInProcess(['--target', target.url, '--only', 'auth.valid.listDirectories'], cleanEnv(MOCK_ENV));
      expect(run.code).toBe(1);
      for (const [name, text] of Object.entries(views(run))) {
        expect(text.replace(/&quot;/g, '"').replace(/\\"/g, '"'), name).toContain('body.directories: must be array (got "none")');
        expect(text, name).not.toMatch(/Object\.is|to deeply equal/);
      }
      expect(run.report().checks.find((c) => c.id === 'auth.valid.listDirectories')!.findings).toEqual([
        { kind: 'schema', status: 200, path: 'body.directories', keyword: 'type', message: 'body.directories: must be array (got "none")' },
      ]);
    } finally {
      await target.close();
    }
  });

  test('a key echoed in two answers: the echo check names those two answers', async () => {
    const target = await api((req) => {
      const auth = req.headers.authorization ?? '';
      return /^(Bearer|Token) /.test(auth) ? { status: 401, body: { ok: false, error: 'Invalid API key', got: auth } } : undefined;
    });
    try {
      const run = await runInProcess(['--target', target.url], cleanEnv(MOCK_ENV));
      const echo = run.report().checks.find((c) => c.id === 'security.no-credential-echo')!;
      expect(echo.verdict).toBe('fail');
      expect(echo.findings!.map((f) => f.probe)).toEqual(['hdr.prefix.bearer', 'hdr.prefix.token']);
      expect(echo.message).toMatch(/^hdr\.prefix\.bearer \(GET \/directory → 401\): expected no trace of the credential it was sent, found it in the body \(as sent\)\nhdr\.prefix\.token /);
      expect(readFileSync(join(run.dir, 'report.md'), 'utf8')).toContain('hdr.prefix.token (GET /directory → 401)');
    } finally {
      await target.close();
    }
  });
});

// --- selection and --list -------------------------------------------------------------------------

describe('--only, --skip and --list', () => {
  test('select() keeps what matches by id, clause, group or level; a skipped request leaves the aggregates, which say so', async () => {
    const catalog = buildCatalog(await loadContract());
    expect(select(catalog, { only: ['auth.missing.*'], skip: [] }).map((c) => c.id)).toEqual(catalog.filter((c) => c.id.startsWith('auth.missing.')).map((c) => c.id));
    expect(select(catalog, { only: ['auth.placement'], skip: [] }).every((c) => c.clause.id === 'auth.placement')).toBe(true);
    expect(select(catalog, { only: ['OBSERVE'], skip: [] }).every((c) => c.level === 'OBSERVE')).toBe(true);
    const skipped = select(catalog, { only: [], skip: ['hdr.size.64k'] });
    expect(skipped.some((c) => c.id === 'hdr.size.64k')).toBe(false);
    const no5xx = skipped.find((c) => c.id === 'security.no-5xx')!;
    expect(no5xx.narrowed).toEqual(['hdr.size.64k']);
    expect(no5xx.over!.some((p) => p.key === 'hdr.size.64k')).toBe(false);
    expect(unmatched(catalog, ['auth.missing.*', 'no.such.*'])).toEqual(['no.such.*']);
  });

  test('--only runs only those checks, says so on the console, and the report records the selection', async () => {
    const run = await runInProcess(['--only', 'auth.missing.*'], cleanEnv());
    expect(run.code, run.stderr).toBe(0);
    const report = run.report();
    expect(report.checks.length).toBeGreaterThan(0);
    expect(report.checks.every((c) => c.id.startsWith('auth.missing.'))).toBe(true);
    expect(report.selection).toEqual({ only: ['auth.missing.*'], skip: [] });
    expect(run.stdout).toMatch(new RegExp(`^Selection: ${report.checks.length} checks \\(--only auth\\.missing\\.\\*\\)$`, 'm'));
  });

  test('--skip: the aggregate that lost evidence says it was narrowed', async () => {
    const run = await runInProcess(['--skip', 'hdr.size.64k', '--only', 'security.no-5xx', '--only', 'hdr.size.*'], cleanEnv());
    expect(run.code, run.stderr).toBe(0);
    expect(run.report().checks.find((c) => c.id === 'security.no-5xx')?.outcome).toMatch(/\(evidence narrowed by the selection: 1 request left out\)$/);
  });

  test('a pattern that matches nothing is a typo: exit 2, one line', async () => {
    const run = await runInProcess(['--only', 'auth.mising.*']);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe('error: --only/--skip auth.mising.* matches no check id, clause, group or level (see --list)');
  });

  test('--list prints every check with its clause, level, judge and needs, and sends nothing', async () => {
    const contract = await loadContract();
    const catalog = buildCatalog(contract);
    const run = await runInProcess(['--target', 'http://127.0.0.1:9', '--list']);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    for (const c of catalog) expect(lines.find((l) => l.startsWith(`${c.id} `)), c.id).toMatch(new RegExp(`^${c.id.replace(/\./g, '\\.')}\\s+${c.clause.id.replace(/\./g, '\\.')}\\s+${c.level}\\s+${c.judge}\\s+\\S`));
    expect(lines.find((l) => l.startsWith('auth.quota.listDirectories '))).toMatch(/FFMPEG_API_QUOTA_EXCEEDED_KEY, capabilities\.quotaKey, profile direct$/);
    expect(lines.find((l) => l.startsWith('auth.valid.createFile '))).toMatch(/FFMPEG_API_KEY, writes \(--allow-writes\)/);
  });
});
