// How the tool touches files: every file it writes (reports, shard blobs, the contract cache) is
// created exclusively under an unpredictable name and renamed into place, so no link planted at
// the path is followed (rename replaces the link itself); the reports of a run appear together or
// not at all; every file it reads from a flag is a regular file of bounded size, read without
// blocking (a FIFO or /dev/zero is refused at once, and Ctrl-C still works).
import { randomBytes } from 'node:crypto';
import { closeSync, constants, existsSync, fstatSync, lstatSync, mkdirSync, mkdtempSync, openSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UsageError } from './errors.js';

const why = (e: unknown) => {
  const code = (e as NodeJS.ErrnoException).code;
  return `${code ?? 'error'}${code === 'EISDIR' ? ': a directory is in the way' : ''}`;
};

/** A directory is in the way of a file about to be renamed over `path` (a link or a file is replaced; a directory is not). */
function inTheWay(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Writes a file whole or not at all: a temporary file created exclusively (O_EXCL, an
 * unpredictable name) beside it, renamed over the path. A link planted at the path is replaced,
 * never followed.
 */
export function writeFileSafely(path: string, content: string | Buffer, mode = 0o644): void {
  const partial = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.partial`);
  try {
    mkdirSync(dirname(path), { recursive: true });
    if (inTheWay(path)) throw Object.assign(new Error('a directory is in the way'), { code: 'EISDIR' });
    writeFileSync(partial, content, { flag: 'wx', mode });
    renameSync(partial, path);
  } catch (e) {
    rmSync(partial, { force: true });
    throw new UsageError(`cannot write ${path} (${why(e)})`);
  }
}

/**
 * Writes several files of one directory together: all into a fresh temporary directory inside it
 * first (mkdtemp: a new directory no one could have planted links in), every destination checked,
 * then each renamed into place. A file that cannot be written leaves none of them: never this
 * run's report.json beside an older junit.xml.
 */
export function writeFilesTogether(dir: string, files: Array<[name: string, content: string]>): string[] {
  let staging: string | undefined;
  try {
    mkdirSync(dir, { recursive: true });
    staging = mkdtempSync(join(dir, '.partial-'));
    for (const [name, content] of files) writeFileSync(join(staging, name), content, { flag: 'wx', mode: 0o644 });
    const blocked = files.find(([name]) => inTheWay(join(dir, name)));
    if (blocked) throw new UsageError(`cannot write ${join(dir, blocked[0])} (EISDIR: a directory is in the way); no report was written`);
    for (const [name] of files) renameSync(join(staging, name), join(dir, name));
    return files.map(([name]) => join(dir, name));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot write the reports in ${dir} (${why(e)}); no report was written`);
  } finally {
    if (staging) rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * Checks before the first request that the reports can be written in `dir`: it is (or can be
 * made) a directory, a file can be created in it, and no directory stands where a report goes.
 */
export function checkOutputDir(dir: string, names: string[], what = 'report directory'): void {
  try {
    mkdirSync(dir, { recursive: true });
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error(), { code: 'ENOTDIR' });
    const probe = join(dir, `.probe-${process.pid}-${randomBytes(6).toString('hex')}`);
    writeFileSync(probe, '', { flag: 'wx' });
    rmSync(probe, { force: true });
  } catch (e) {
    throw new UsageError(`cannot write the ${what} ${dir} (${why(e)})`);
  }
  const blocked = names.find((name) => inTheWay(join(dir, name)));
  if (blocked) throw new UsageError(`cannot write ${join(dir, blocked)} (EISDIR: a directory is in the way)`);
}

/** The most bytes an input file may have (--spec, --env-file, --targets, --baseline, --compare). */
export const MAX_INPUT_BYTES = 16 * 1024 * 1024;

/**
 * Reads an input file named by a flag: a regular file of at most `max` bytes, opened without
 * blocking (a FIFO would wait for a writer) and read to its stated size. Anything else (a
 * directory, a device such as /dev/zero, a FIFO, a socket, a file too large) is refused with one
 * line naming `what`.
 */
export function readInput(path: string, what: string, max = MAX_INPUT_BYTES): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${path} (${why(e)})`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new UsageError(`cannot read ${what} ${path}: ${stat.isDirectory() ? 'a directory' : stat.isFIFO() ? 'a FIFO' : stat.isCharacterDevice() || stat.isBlockDevice() ? 'a device' : 'a special file'}, not a file`);
    if (stat.size > max) throw new UsageError(`cannot read ${what} ${path}: ${stat.size} bytes, more than the ${max} accepted`);
    const buffer = Buffer.alloc(stat.size);
    let read = 0;
    while (read < stat.size) {
      const n = readSync(fd, buffer, read, stat.size - read, read);
      if (n === 0) break;
      read += n;
    }
    return buffer.subarray(0, read);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot read ${what} ${path} (${why(e)})`);
  } finally {
    closeSync(fd);
  }
}

/**
 * A file another library writes (vitest's blob reporter writes with a plain writeFile, following
 * links): it writes into a fresh temporary directory beside the path, and `commit` renames the
 * result into place (replacing, never following, a link there). `discard` leaves nothing behind.
 */
export function staged(path: string): { path: string; commit: () => void; discard: () => void } {
  let dir: string;
  try {
    mkdirSync(dirname(path), { recursive: true });
    dir = mkdtempSync(join(dirname(path), '.partial-'));
  } catch (e) {
    throw new UsageError(`cannot write ${path} (${why(e)})`);
  }
  const inside = join(dir, basename(path));
  const discard = () => rmSync(dir, { recursive: true, force: true });
  return {
    path: inside,
    commit: () => {
      try {
        if (!existsSync(inside)) return; // nothing was written (an interrupted run)
        if (inTheWay(path)) throw Object.assign(new Error(), { code: 'EISDIR' });
        renameSync(inside, path);
      } catch (e) {
        throw new UsageError(`cannot write ${path} (${why(e)})`);
      } finally {
        discard();
      }
    },
    discard,
  };
}
