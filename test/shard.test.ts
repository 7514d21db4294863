// A run split over machines: `--shard i/n` on each (vitest's blob reporter), the blobs gathered
// into one directory, then `--merge-reports` rebuilds the same report.json as an unsharded run.
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Report } from '../reporters/model.js';
import { startMock, type RunningMock } from '../mock/server.js';
import { cleanEnv, listenLocal, MOCK_ENV, runInProcess, tempDir } from './helpers.js';

let mock: RunningMock;
beforeAll(async () => {
  mock = await startMock();
});
afterAll(() => mock.close());

/**
 * The report without what depends on time or on the server's state: timings, and the ids,
 * dates and listings of the directories the runs create on the shared mock.
 */
function comparable(r: Report): unknown {
  const timing = new Set(['startedAt', 'durationMs', 'ms', 'date', 'content-length']); // (response headers: the clock, and listings that grow)
  return JSON.parse(
    JSON.stringify(r, (k, v: unknown) => (timing.has(k) ? undefined : v))
      .replace(/dir_[0-9a-f]{12}/g, 'dir_X')
      .replace(/conformance_run=[0-9a-f]+/g, 'conformance_run=X')
      .replace(/boundary=[-\w]+/g, 'boundary=X') // a multipart body's boundary is drawn per request
      .replace(/conformance-\d+-[a-z0-9]+\.mp4/g, 'conformance-X.mp4')
      .replace(/\d{4}-\d{2}-\d{2}/g, 'DATE')
      .replace(/\\"directories\\":\[[^\]]*\]/g, '\\"directories\\":[…]'),
  );
}

/**
 * A blob (vitest's flatted JSON: every value an entry of one array, objects referring to others by
 * their index as a string) with the test named `id` taken out of its suite's task list.
 */
function withoutTest(blob: string, id: string): string {
  const entries = JSON.parse(blob) as unknown[];
  const quoted = entries.indexOf(`'${id}'`); // test.for quotes a string $id
  const name = String(quoted >= 0 ? quoted : entries.indexOf(id));
  const task = String(entries.findIndex((e) => e !== null && typeof e === 'object' && (e as { type?: unknown; name?: unknown }).name === name && entries[Number((e as { type: string }).type)] === 'test'));
  const list = entries.find((e): e is string[] => Array.isArray(e) && e.includes(task));
  expect(list, `the blob holds the test ${id}`).toBeDefined();
  list!.splice(list!.indexOf(task), 1);
  return JSON.stringify(entries);
}

test('three shards merged give the report of an unsharded run (timings aside)', async () => {
  const env = cleanEnv(MOCK_ENV);
  const whole = await runInProcess(['--target', mock.url], env);
  expect(whole.code, whole.stderr).toBe(0);

  const gathered = join(tempDir(), 'blobs'); // as a CI job downloads every shard's artifact into one place
  mkdirSync(gathered);
  const shards: Report[] = [];
  for (const i of [1, 2, 3]) {
    const shard = await runInProcess(['--target', mock.url, '--shard', `${i}/3`], env);
    expect(shard.code, shard.stderr).toBe(0);
    expect(readdirSync(join(shard.dir, 'blobs'))).toEqual([`blob-${i}-3.json`]);
    cpSync(join(shard.dir, 'blobs'), gathered, { recursive: true });
    shards.push(shard.report());
  }
  // Sharding is by file: each shard ran a part, together all of it, none twice.
  expect(shards.map((s) => s.shard)).toEqual([1, 2, 3].map((index) => ({ index, count: 3 })));
  expect(shards.every((s) => s.checks.length > 0)).toBe(true);
  expect(shards.flatMap((s) => s.checks.map((c) => c.id)).sort()).toEqual(whole.report().checks.map((c) => c.id));

  const merged = await runInProcess(['--merge-reports', gathered]);
  expect(merged.code, merged.stderr).toBe(0);
  const report = merged.report();
  expect(report.shard).toBeUndefined();
  expect(report.checks.filter((c) => c.exchange).length).toBeGreaterThan(60); // task.meta survived the blobs
  expect(comparable(report)).toEqual(comparable(whole.report()));
  expect(readdirSync(merged.dir).sort()).toEqual(['junit.xml', 'report.html', 'report.json', 'report.md']);

  // A check that no shard reported (its test dropped from a blob) is refused, naming it: every
  // shard carries the run's check ids, and the merge reconciles their union with its results.
  const dropped = join(tempDir(), 'blobs');
  cpSync(gathered, dropped, { recursive: true });
  const victim = shards[1]!.checks[0]!.id;
  const file = join(dropped, 'blob-2-3.json');
  writeFileSync(file, withoutTest(readFileSync(file, 'utf8'), victim));
  const lost = await runInProcess(['--merge-reports', dropped]);
  expect(lost.code, lost.stderr).toBe(2);
  expect(lost.stderr.trim().split('\n')).toHaveLength(1);
  expect(lost.stderr).toContain(`check ${victim} is in the run's catalog but no shard reported it`);

  // A missing shard is refused rather than merged into a partial report.
  const partial = join(tempDir(), 'blobs');
  mkdirSync(partial);
  for (const i of [1, 3]) cpSync(join(gathered, `blob-${i}-3.json`), join(partial, `blob-${i}-3.json`));
  const refused = await runInProcess(['--merge-reports', partial]);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toMatch(/lacks the blobs of shard 2\/3/);
});

test('the blobs hold no key: they are redacted like every other file', async () => {
  const decoded = 'shard-secret-key-7c1e9d02aa';
  const key = `Basic ${Buffer.from(decoded).toString('base64')}`;
  // A hostile target that reflects a reshaped credential into its Content-Type: the exchanges of
  // the failed checks then carry the key, and vitest writes their meta into the blob.
  const reflect = http.createServer((req, res) =>
    req.headers.authorization === key
      ? res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true,"directories":[]}')
      : res.writeHead(401, { 'content-type': `text/plain; echo="${req.headers.authorization ?? ''}"` }).end('no'),
  );
  const url = await listenLocal(reflect);
  try {
    const run = await runInProcess(['--target', url, '--shard', '1/1'], cleanEnv({ FFMPEG_API_KEY: key }));
    expect(run.code, run.stderr).toBe(1);
    const blob = readFileSync(join(run.dir, 'blobs', 'blob-1-1.json'), 'utf8');
    expect(blob).toContain('[REDACTED:FFMPEG_API_KEY]');
    for (const needle of [key.slice(6), key.slice(6, 20), decoded]) expect(blob.includes(needle), `the blob holds ${needle.slice(0, 4)}…`).toBe(false);
  } finally {
    reflect.close();
  }
});

describe('bad shard input: one line on stderr, exit 2', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--shard', '0/3'], /--shard must be i\/n with 1 <= i <= n, got "0\/3"/],
    [['--shard', '4/3'], /--shard must be i\/n/],
    [['--shard', 'half'], /--shard must be i\/n/],
    [['--shard', '9/9'], /--shard 9\/9: the run has only \d+ suite files/],
    [['--shard', '1/2', '--baseline', 'x.json'], /--shard cannot be combined with --baseline/],
    [['--merge-reports', 'blobs', '--shard', '1/2'], /--merge-reports cannot be combined with --shard/],
    [['--merge-reports', '/nonexistent/blobs'], /cannot read the blob directory \/nonexistent\/blobs/],
  ];
  test.for(cases)('%s', async ([args, message]) => {
    const run = await runInProcess(args);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(message);
  });
});
