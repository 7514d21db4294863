// One run, one directory: a run holds a lock file in its report directory while it writes there,
// created exclusively (flag wx) with its pid. A second run into the directory refuses in one line
// (exit 2); a lock whose process is gone (a run killed with SIGKILL, a machine that rebooted) is
// taken over, with a note. The lock goes when the run ends, also when the process exits early.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from './errors.js';

export const LOCK_FILE = '.ffmpeg-api-conformance.lock';

/** Whether a process with this pid is running (EPERM: it is, under another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock of `dir` (it exists) and returns its release; `note` says when a stale lock was taken over. */
export function lockReportDir(dir: string, note: (line: string) => void): () => void {
  const file = join(dir, LOCK_FILE);
  const mine = `${JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() })}\n`;
  for (let tries = 0; ; tries++) {
    try {
      writeFileSync(file, mine, { flag: 'wx', mode: 0o644 });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || tries > 0) throw new UsageError(`cannot lock the report directory ${dir} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    let pid = NaN;
    try {
      pid = Number((JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown }).pid);
    } catch {
      // unreadable or half-written: treated as stale
    }
    if (Number.isInteger(pid) && pid > 0 && alive(pid)) throw new UsageError(`another run (pid ${pid}) is writing into ${dir}: wait for it, or use another --report-dir (its lock: ${file})`);
    note(`note: ${dir} held the lock of a run that is gone (pid ${Number.isNaN(pid) ? 'unknown' : pid}); taken over`);
    rmSync(file, { force: true });
  }
  const release = () => {
    process.off('exit', release);
    try {
      if (readFileSync(file, 'utf8') === mine) rmSync(file, { force: true });
    } catch {
      // already gone
    }
  };
  process.on('exit', release); // process.exit() on a signal or a crash: the lock does not outlive the run
  return release;
}
