// Issue 20: files written safely and together, inputs read safely. Every file the tool writes is
// created exclusively and renamed into place (never written through a planted link); the four
// reports appear together or not at all; a blocked report path is found before the first
// request; input files are bounded regular files (/dev/zero, a FIFO: exit 2, one line); the
// contract cache is verified by its own hash and rebuilt when bad.
import { execFileSync } from 'node:child_process';
import { appendFileSync, copyFileSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { UsageError } from '../core/errors.js';
import { readInput, writeFilesTogether, writeFileSafely } from '../core/files.js';
import { cleanEnv, listenLocal, MOCK_ENV, ROOT, runCli, tempDir } from './helpers.js';

const servers: http.Server[] = [];
afterAll(() => servers.forEach((s) => (s.closeAllConnections(), s.close())));

/** A file outside the report directory that a planted link points at: it must never change. */
function victim(): string {
  const path = join(tempDir(), 'victim.txt');
  writeFileSync(path, 'precious\n');
  return path;
}

/** One line on stderr, no stack trace. */
const oneLine = (stderr: string) => {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
  return lines[0]!;
};

describe('core/files.ts', () => {
  test('a planted link at the path is replaced, never written through', () => {
    const dir = tempDir();
    const target = victim();
    symlinkSync(target, join(dir, 'report.json'));
    writeFileSafely(join(dir, 'report.json'), '{}');
    expect(readFileSync(target, 'utf8')).toBe('precious\n');
    expect(lstatSync(join(dir, 'report.json')).isSymbolicLink()).toBe(false);
    expect(readFileSync(join(dir, 'report.json'), 'utf8')).toBe('{}');
    expect(readdirSync(dir)).toEqual(['report.json']); // no temporary file left
  });

  test('files written together: a directory in the way of one leaves every old file as it was', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'report.json'), 'old');
    mkdirSync(join(dir, 'junit.xml'));
    expect(() => writeFilesTogether(dir, [['report.json', 'new'], ['report.md', 'new'], ['junit.xml', 'new']])).toThrow(/junit\.xml .*a directory is in the way.*no report was written/);
    expect(readFileSync(join(dir, 'report.json'), 'utf8')).toBe('old');
    expect(readdirSync(dir).sort()).toEqual(['junit.xml', 'report.json']);
    // and without the obstacle, all of them, links replaced
    const target = victim();
    symlinkSync(target, join(dir, 'report.md'));
    expect(writeFilesTogether(tempDir(), [['a', '1']])).toHaveLength(1);
    execFileSync('rmdir', [join(dir, 'junit.xml')]);
    writeFilesTogether(dir, [['report.json', 'new'], ['report.md', 'new'], ['junit.xml', 'new']]);
    expect(readFileSync(target, 'utf8')).toBe('precious\n');
    expect(readdirSync(dir).sort()).toEqual(['junit.xml', 'report.json', 'report.md']);
    for (const name of readdirSync(dir)) expect(readFileSync(join(dir, name), 'utf8')).toBe('new');
  });

  test('inputs: regular files of bounded size only, refused at once otherwise', () => {
    const dir = tempDir();
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const big = join(dir, 'big');
    writeFileSync(big, 'x'.repeat(2048));
    for (const [path, says] of [
      ['/dev/zero', /: a device, not a file/],
      [fifo, /: a FIFO, not a file/],
      [dir, /: a directory, not a file/],
      [join(dir, 'missing'), /ENOENT/],
    ] as const) {
      expect(() => readInput(path, 'spec'), path).toThrow(UsageError);
      expect(() => readInput(path, 'spec'), path).toThrow(says);
    }
    expect(() => readInput(big, 'spec', 1024)).toThrow(/2048 bytes, more than the 1024 accepted/);
    expect(readInput(big, 'spec').length).toBe(2048);
  });
});

describe('the command', { timeout: 60_000 }, () => {
  test.for([
    ['--spec', (p: string) => ['--spec', p]],
    ['--env-file', (p: string) => ['--env-file', p]],
    ['--targets', (p: string) => ['--targets', p, '--target', 'live']],
    ['--baseline', (p: string) => ['--baseline', p]],
    ['--compare', (p: string) => ['--compare', p, '--compare', p]],
  ] as const)('%s /dev/zero and a FIFO: exit 2 with one line, at once', async ([, args]) => {
    const fifo = join(tempDir(), 'fifo');
    execFileSync('mkfifo', [fifo]);
    for (const path of ['/dev/zero', fifo]) {
      const run = await runCli(args(path), cleanEnv(MOCK_ENV), { timeoutMs: 20_000 });
      expect(run.code, run.stderr).toBe(2);
      expect(oneLine(run.stderr)).toMatch(/: (a device|a FIFO), not a file/);
    }
  });

  test('a blocked report path is found before the first request; the older reports stay whole', async () => {
    let requests = 0;
    const server = http.createServer((_req, res) => (requests++, res.writeHead(401, { 'content-type': 'application/json' }).end('{"ok":false,"error":"Invalid API key"}')));
    servers.push(server);
    const url = await listenLocal(server);
    const dir = tempDir();
    writeFileSync(join(dir, 'report.json'), 'older');
    mkdirSync(join(dir, 'junit.xml'));
    const run = await runCli(['--target', url, '--report-dir', dir], cleanEnv(MOCK_ENV));
    expect(run.code, run.stderr).toBe(2);
    expect(oneLine(run.stderr)).toMatch(/junit\.xml \(EISDIR: a directory is in the way\)/);
    expect(requests).toBe(0);
    expect(readFileSync(join(dir, 'report.json'), 'utf8')).toBe('older');
    expect(readdirSync(dir).sort()).toEqual(['junit.xml', 'report.json']);
  });

  test('--shard: a link planted at the blob path is replaced, not written through', async () => {
    const dir = tempDir();
    const target = victim();
    mkdirSync(join(dir, 'blobs'));
    symlinkSync(target, join(dir, 'blobs', 'blob-1-2.json'));
    const run = await runCli(['--shard', '1/2', '--report-dir', dir], cleanEnv(MOCK_ENV));
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(target, 'utf8')).toBe('precious\n');
    expect(lstatSync(join(dir, 'blobs', 'blob-1-2.json')).isFile()).toBe(true);
    expect(readdirSync(join(dir, 'blobs'))).toEqual(['blob-1-2.json']);
    expect(readFileSync(join(dir, 'blobs', 'blob-1-2.json'), 'utf8')).not.toBe('precious\n');
  });

  test('a tampered or malformed cached contract is ignored with a note and rebuilt', async () => {
    const cache = tempDir();
    const spec = join(tempDir(), 'openapi.yaml');
    copyFileSync(join(ROOT, 'spec/openapi.yaml'), spec);
    appendFileSync(spec, '\n# a copy: its own sha256, so the user cache is used\n');
    const env = cleanEnv({ ...MOCK_ENV, XDG_CACHE_HOME: cache });
    const first = await runCli(['--spec', spec], env);
    expect(first.code, first.stderr).toBe(0);
    const dir = join(cache, 'ffmpeg-api-conformance');
    const [entry] = readdirSync(dir);
    const file = join(dir, entry!);
    const good = readFileSync(file, 'utf8');
    for (const damage of [
      (t: string) => t.replace('Invalid API key', 'Invalid API kez'), // tampered: the contract changed, its hash not
      () => '{"check":', // malformed
    ]) {
      writeFileSync(file, damage(good));
      const run = await runCli(['--spec', spec], env);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toMatch(/note: the cached contract .* (does not match its own hash|is not readable JSON): ignored, the spec is validated again and the entry rebuilt/);
      expect(JSON.stringify(run.report())).not.toContain('Invalid API kez');
      expect(readFileSync(file, 'utf8')).toBe(good);
    }
  });
});
