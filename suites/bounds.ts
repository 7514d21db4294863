// What one answer can cost the run: a bounded number of findings per check, a bounded depth of
// JSON judged. A target sends what it likes (an array of 80,000 wrong items, `[[[[…]]]]` nested
// 100,000 deep); the work and the reports it causes stay within these bounds.

/** The findings kept of one check: the first ones, then one line that counts the rest. */
import type { Finding } from '../core/results.js';

export const MAX_FINDINGS = 20;

/** The deepest JSON the suite judges: every body the contract documents is far shallower. */
export const MAX_JSON_DEPTH = 64;

/**
 * The first MAX_FINDINGS findings, and one that counts those left out (of the same kind as the
 * last kept). `total`: how many there were, when the caller made only the first ones.
 */
export function capFindings(findings: Finding[], total = findings.length): Finding[] {
  if (total <= MAX_FINDINGS) return findings;
  if (findings.length > MAX_FINDINGS && /^… and \d+ more finding/.test(findings[MAX_FINDINGS]!.message)) return findings; // capped already
  const kept = findings.slice(0, MAX_FINDINGS);
  const rest = total - MAX_FINDINGS;
  const last = kept[kept.length - 1]!;
  return [...kept, { kind: last.kind, ...(last.status !== undefined && { status: last.status }), message: `… and ${rest} more finding${rest === 1 ? '' : 's'} like these (${total} in all; the first ${MAX_FINDINGS} are listed)` }];
}

/**
 * How deeply a JSON text nests its arrays and objects, read without recursion (strings skipped),
 * stopping once past `limit`: a `[[[[…]]]]` body costs its length, never the stack.
 */
export function jsonDepth(text: string, limit = MAX_JSON_DEPTH): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > deepest && (deepest = depth) > limit) return deepest;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}
