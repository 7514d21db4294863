// What to do next, from the cause that was recorded: a timeout names --timeout and the slowest
// answer seen; a refused key whose decoded form ends in a line break names echo's newline.
import type { HarnessError } from './http/errors.js';

/** After a timeout: the flag that sets it, its value, and the slowest answer the run saw. */
function timeoutHint(timeoutMs: number, slowestMs?: number): string {
  const slowest = slowestMs === undefined ? 'no answer arrived at all' : `the slowest answer this run saw took ${slowestMs} ms`;
  return ` (--timeout is ${timeoutMs} ms; ${slowest}): raise --timeout if the target is slow`;
}

/** A harness error's reason, with the hint its cause calls for. */
export const errorReason = (e: HarnessError, timeoutMs: number, slowestMs?: number): string => (e.kind === 'timeout' ? `${e.message}${timeoutHint(timeoutMs, slowestMs)}` : e.message);

/** Why the target may have refused a key, from the key itself (never printed: only what is wrong with it). */
export function refusedKeyHint(value: string): string {
  const token = value.replace(/^\S+\s+/, '');
  const decoded = /^[A-Za-z0-9+/]+={0,2}$/.test(token) ? Buffer.from(token, 'base64').toString('latin1') : '';
  if (/[\r\n]$/.test(decoded))
    return 'its decoded form ends in a line break, as a key made with `echo … | base64` does (echo adds a newline): make it with `printf %s … | base64`, or copy the whole value from the dashboard';
  if (/\s$/.test(decoded)) return 'its decoded form ends in whitespace: copy the whole value from the dashboard again';
  return 'check if you regenerated your key in the dashboard (authentication-guide.txt:74)';
}
