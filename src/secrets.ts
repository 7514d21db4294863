// The one place where secrets are redacted. Every output of the tool — console lines, error
// messages, the exchanges stored in a check's meta and every report file — passes through here.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

interface Secret {
  name: string;
  forms: string[]; // the value, the token after the scheme, and its base64-decoded form; longest first
  lower: string[]; // the forms in lower case
  windows: Set<string>; // every WINDOW-character slice of the forms, in lower case
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
  const list = [...forms].filter((f) => f.length > 0).sort((a, b) => b.length - a.length);
  if (secrets.some((s) => s.name === name && s.forms.join('\n') === list.join('\n'))) return; // already registered
  const lower = list.map((f) => f.toLowerCase());
  const windows = new Set<string>();
  for (const f of lower) for (let i = 0; i + WINDOW <= f.length; i++) windows.add(f.slice(i, i + WINDOW));
  secrets.push({ name, forms: list, lower, windows });
}

/** Forgets every registered secret (tests only). */
export function clearSecrets(): void {
  secrets.length = 0;
}

/** Whether a run (in lower case) is part of a secret, or shares WINDOW consecutive characters with one. */
function sharesWindow(r: string, s: Secret): boolean {
  // a fragment of the secret (runs are at least 6 characters), or a short form inside the run
  if (s.lower.some((f) => f.includes(r) || (f.length < WINDOW && r.includes(f)))) return true;
  // windows are looked up in a set, so a long run costs its length, not its length × the secret's
  for (let i = 0; i + WINDOW <= r.length; i++) if (s.windows.has(r.slice(i, i + WINDOW))) return true;
  return false;
}

/**
 * Replaces every registered secret in `text`. Whole values are replaced exactly; then every run
 * of 6 or more token-like characters that is part of a secret, or shares 12 consecutive
 * characters with one (in any letter case), is replaced whole: truncated, split, extended,
 * re-cased or percent-encoded copies of a key are caught as well as the key itself.
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
    const hit = secrets.find((s) => sharesWindow(lower, s));
    return hit ? MARK + hit.name + ']' : run;
  });
}

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

/** Writes a file whose content has been redacted. */
export function writeRedacted(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, redact(content));
}
