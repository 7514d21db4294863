// Issue 13, case 8 and 9: the end of a run is honest, report files are written safely, the
// smaller bad inputs get one line, and the mock cannot grow.
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { addSecret, clearSecrets, decodeEscapes, redactInPlace, writeRedacted } from '../core/secrets.js';
import { startMock } from '../mock/server.js';
import { cleanEnv, listenLocal, MOCK_ENV, readReport, runCli, tempDir, withoutProgress } from './helpers.js';

const oneLine = (stderr: string) => withoutProgress(stderr).trim().split('\n');

describe('the smaller bad inputs give one line and exit 2 (issue 13, case 9)', () => {
  test.for([
    ['a concurrency written in hex', () => ['--concurrency', '0x10'], /--concurrency must be a whole number .*"0x10"/],
    ['a timeout in exponent form', () => ['--timeout', '1e1'], /--timeout must be a number of seconds/],
    ['an env file that is a directory', () => ['--env-file', tempDir()], /^error: cannot read env file .*a directory, not a file/],
    [
      'a report.json that is a directory',
      () => {
        const dir = tempDir();
        mkdirSync(join(dir, 'report.json'));
        return ['--report-dir', dir];
      },
      /^error: cannot write .*report\.json \(EISDIR: a directory is in the way\)/,
    ],
  ] as const)('%s', async ([, args, message]) => {
    const run = await runCli([...args()], cleanEnv(MOCK_ENV));
    expect(run.code, run.stderr).toBe(2);
    expect(oneLine(run.stderr)).toHaveLength(1);
    expect(withoutProgress(run.stderr)).toMatch(message); // a run slowed past 5 s prints a heartbeat line first
    expect(run.stderr).not.toMatch(/internal error|\n\s+at /);
  });
});

describe('report files are written safely', () => {
  test('a link planted at the path or at the old temporary name is never followed', () => {
    const dir = tempDir();
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'untouched');
    const path = join(dir, 'report.md');
    symlinkSync(victim, path);
    symlinkSync(victim, `${path}.${process.pid}.partial`);
    writeRedacted(path, '# report\n');
    expect(readFileSync(victim, 'utf8')).toBe('untouched');
    expect(lstatSync(path).isSymbolicLink()).toBe(false);
    expect(readFileSync(path, 'utf8')).toBe('# report\n');
    expect(readlinkSync(`${path}.${process.pid}.partial`)).toBe(victim); // left alone, not written through
  });
});

describe('a shard blob is redacted before it touches the disk (issue 13, case 9)', () => {
  test("redactInPlace clears vitest's task tree (cycles, meta, errors, keys) as the blob reporter will serialise it", () => {
    addSecret('FFMPEG_API_KEY', MOCK_ENV.FFMPEG_API_KEY);
    try {
      const file: Record<string, unknown> = { name: 'security.conformance.ts', tasks: [] };
      const task = { name: 'security.no-credential-echo', file, meta: { seen: `got ${MOCK_ENV.FFMPEG_API_KEY}` }, result: { errors: [{ message: `expected no ${MOCK_ENV.FFMPEG_API_KEY.slice(6)}`, actual: { [MOCK_ENV.FFMPEG_API_KEY]: 1 } }] } };
      (file.tasks as unknown[]).push(task);
      file.self = file;
      redactInPlace([file]);
      const seen = new WeakSet<object>();
      const text = JSON.stringify(file, (_k, v: unknown) => (v && typeof v === 'object' ? (seen.has(v) ? '[cycle]' : (seen.add(v), v)) : v));
      expect(text).not.toContain(MOCK_ENV.FFMPEG_API_KEY.slice(6, 20));
      expect(text.match(/\[REDACTED:FFMPEG_API_KEY\]/g)).toHaveLength(3);
    } finally {
      clearSecrets();
    }
  });

  const servers: http.Server[] = [];
  afterAll(() => servers.forEach((s) => (s.closeAllConnections(), s.close())));

  // (the engine redacts what it records, too: this run shows the whole path, the test above the blob's own step)
  test('no trace of a key an echoing target returns, in any blob', async () => {
    // Echoes the Authorization it got into every answer: the exchanges and findings kept in the task meta carry it.
    const server = http.createServer((req, res) => {
      const ok = req.headers.authorization === MOCK_ENV.FFMPEG_API_KEY;
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json', 'x-echo': req.headers.authorization ?? '' });
      res.end(JSON.stringify(ok ? { ok: true, directories: [], seen: req.headers.authorization } : { ok: false, error: `Invalid API key ${req.headers.authorization ?? ''}` }));
    });
    servers.push(server);
    const target = await listenLocal(server);
    const runs = await Promise.all([1, 2].map((i) => runCli(['--target', target, '--shard', `${i}/2`, '--timeout', '10'], cleanEnv(MOCK_ENV), { timeoutMs: 45_000 })));
    const tokens = Object.values(MOCK_ENV).map((k) => k.slice('Basic '.length));
    for (const run of runs) {
      expect(run.code, run.stderr).not.toBeNull();
      const blob = readFileSync(join(run.dir, 'blobs', readdirOne(join(run.dir, 'blobs'))), 'utf8');
      const plain = decodeEscapes(blob);
      for (const t of tokens) expect(plain.includes(t.slice(0, 16)) || plain.includes(t.slice(-16)), t).toBe(false);
      expect(blob).toContain('[REDACTED:FFMPEG_API_KEY]');
    }
  });
});

const readdirOne = (dir: string) => {
  const [name, ...more] = readdirSync(dir);
  expect(more).toEqual([]);
  return name!;
};

describe('the end of a run is honest (issue 13, case 8)', () => {
  test('a signal once the reports are written ends the process with their exit code, never "no report"', async () => {
    // A signal that lands while Node is already tearing down kills it whatever the handler, so a
    // preloaded timer keeps the process alive 30 s from its start (a run on a loaded machine takes
    // longer than 5 s): the signal is sure to arrive in the reported phase, and only the command's
    // own handler can turn it into the report's code (it exits at once; the timer never runs out).
    let signalled = false;
    const run = await runCli([], cleanEnv(MOCK_ENV), {
      nodeArgs: ['--import', 'data:text/javascript,setTimeout(() => {}, 30000)'],
      onOutput: ({ stdout }, child) => {
        if (!signalled && stdout.includes('report: ')) {
          signalled = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(signalled).toBe(true);
    expect(run.code, run.stderr).not.toBeNull();
    expect(run.stderr).not.toMatch(/no report/);
    const report = readReport(join(run.dir, 'report.json'));
    expect(run.code).toBe(report.summary.exitCode);
    expect(report.interrupted).toBe(report.summary.exitCode === 130);
  });
});

describe('the mock cannot grow (issue 13, case 9)', () => {
  test('it keeps no store: after many creating requests with long names, GET /directory is the same answer', async () => {
    const mock = await startMock();
    try {
      const call = async (method: string, path: string, body?: unknown) => {
        const r = await fetch(`${mock.url}${path}`, { method, headers: { authorization: MOCK_ENV.FFMPEG_API_KEY, 'content-type': 'application/json' }, ...(body !== undefined && { body: JSON.stringify(body) }) });
        return { status: r.status, text: await r.text() };
      };
      const before = await call('GET', '/directory');
      for (let i = 0; i < 300; i++) expect((await call('POST', '/directory', {})).status).toBe(200);
      for (let i = 0; i < 20; i++) await call('POST', '/file', { file_name: 'x'.repeat(100_000) });
      expect(await call('GET', '/directory')).toEqual(before);
    } finally {
      await mock.close();
    }
  });
});
