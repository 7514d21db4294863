// The one place where secrets are redacted. Every output of the tool — console lines, error
// messages, the exchanges stored in a check's meta and every report file — passes through here.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

interface Secret {
  name: string;
  forms: string[]; // the value, the token after the scheme, and its base64-decoded form; longest first
  token: string; // in lower case: random-looking, so any fragment of it is a leak (unlike words of the decoded form)
  short: string[]; // forms shorter than WINDOW, in lower case
  anyCase: Set<string>; // every WINDOW-character slice of the value and the token, in lower case: a re-cased key is still the key
  exactCase: Set<string>; // every WINDOW-character slice of the decoded form, as is: "QUOTA_EXCEEDED_KEY" is not "quota_exceeded_key_…"
}

const secrets: Secret[] = [];
const WINDOW = 12; // a run sharing this many consecutive characters with a secret is redacted
const MARK = '[REDACTED:';

/** Registers a credential (a whole `Basic <token>` header value) under its variable name. */
export function addSecret(name: string, value: string | undefined): void {
  if (!value) return;
  const token = value.replace(/^\s*\S+\s+/, '').trim();
  const forms = new Set([value.trim(), token]);
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  if (/^[\x20-\x7e]{8,}$/.test(decoded)) forms.add(decoded);
  // A form under 6 characters would redact ordinary words: such keys are refused before any use (src/config.ts keyProblem).
  const list = [...forms].filter((f) => f.length >= 6).sort((a, b) => b.length - a.length);
  if (!list.length) return;
  if (secrets.some((s) => s.name === name && s.forms.join('\n') === list.join('\n'))) return; // already registered
  const slices = (fs: string[]) => new Set(fs.flatMap((f) => Array.from({ length: Math.max(0, f.length - WINDOW + 1) }, (_, i) => f.slice(i, i + WINDOW))));
  secrets.push({
    name,
    forms: list,
    token: token.toLowerCase(),
    short: list.filter((f) => f.length < WINDOW).map((f) => f.toLowerCase()),
    anyCase: slices(list.filter((f) => f !== decoded).map((f) => f.toLowerCase())),
    exactCase: slices(list.filter((f) => f === decoded)),
  });
}

/** Forgets every registered secret (tests only). */
export function clearSecrets(): void {
  secrets.length = 0;
}

/** Whether a run of token-like characters carries a secret (see redact). */
function carries(run: string, lower: string, s: Secret): boolean {
  if (s.token.includes(lower) || s.short.some((f) => lower.includes(f))) return true;
  // a fragment of the token inside a longer run: "session=<fragment>", "x-echo-<fragment>"
  if (lower.split(/[=._~-]+/).some((piece) => piece.length >= 6 && piece !== lower && s.token.includes(piece))) return true;
  // windows are looked up in sets, so a long run costs its length, not its length × the secret's
  for (let i = 0; i + WINDOW <= run.length; i++) if (s.anyCase.has(lower.slice(i, i + WINDOW)) || s.exactCase.has(run.slice(i, i + WINDOW))) return true;
  return false;
}

/**
 * Replaces every registered secret in `text`. Whole values are replaced exactly; then every run
 * of 6 or more token-like characters that is a fragment of a token, or shares 12 consecutive
 * characters with the value or token (in any letter case) or with the decoded form (as is), is
 * replaced whole: truncated, split, extended, re-cased or percent-encoded copies of a key are
 * caught as well as the key itself.
 */
export function redact(text: string): string {
  let out = text;
  for (const s of secrets) {
    for (const form of s.forms) {
      if (form.length >= 4) out = out.split(form).join(MARK + s.name + ']');
    }
  }
  return out.replace(/\[REDACTED:[A-Z0-9_]*\]|[A-Za-z0-9+/=_%.~-]{6,}/g, (run) => {
    if (run.startsWith(MARK)) return run; // already redacted: redaction is idempotent
    const lower = run.toLowerCase();
    const hit = secrets.find((s) => carries(run, lower, s));
    return hit ? MARK + hit.name + ']' : run;
  });
}

/** Whether `text` carries a registered secret in any form `redact` would remove. */
export const containsSecret = (text: string): boolean => secrets.length > 0 && redact(text) !== text;

/** Redacts every string (keys included) inside a JSON-compatible value. */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map(redactDeep) as T;
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [redact(k), redactDeep(v)])) as T;
  return value;
}

export const out = (line: string): void => void process.stdout.write(redact(line) + '\n');
export const err = (line: string): void => void process.stderr.write(redact(line) + '\n');

/** Writes a file whose content has been redacted: whole or not at all (a temporary file, renamed). */
export function writeRedacted(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const partial = `${path}.${process.pid}.partial`;
  writeFileSync(partial, redact(content));
  renameSync(partial, path);
}
