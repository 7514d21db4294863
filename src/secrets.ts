// The one place where secrets are redacted. Every output of the tool — console lines, error
// messages, the exchanges stored in a check's meta and every report file — passes through here.
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { UsageError } from './errors.js';

interface Secret {
  name: string;
  forms: string[]; // the value, the token, the decoded form (and more, see addSecret); longest first
  token: string; // in lower case: random-looking, so any fragment of it is a leak (unlike words of the decoded form)
  short: string[]; // forms shorter than WINDOW, in lower case
  anyCase: Set<string>; // every WINDOW-character slice of the random-looking forms, in lower case: a re-cased key is still the key
  exactCase: Set<string>; // every WINDOW-character slice of the decoded form and its password, as is: "QUOTA_EXCEEDED_KEY" is not "quota_exceeded_key_…"
}

const secrets: Secret[] = [];
const WINDOW = 12; // a run sharing this many consecutive characters with a secret is redacted
const MARK = '[REDACTED:';

/**
 * Registers a credential (a whole `Basic <token>` header value) under its variable name. Besides
 * the value, the token and the decoded `user:password` (and its password), the forms a key
 * travels in are known too: the base64 of the whole header value, the hex of the value and of the
 * decoded form, the token reversed. Percent-encoded, JSON-escaped and HTML-escaped copies are
 * decoded where they are found (see decodeEscapes), so they need no forms of their own.
 */
export function addSecret(name: string, value: string | undefined): void {
  if (!value) return;
  const token = value.replace(/^\s*\S+\s+/, '').trim();
  const whole = value.trim();
  const random = new Set([whole, token, Buffer.from(whole).toString('base64'), Buffer.from(whole).toString('hex'), [...token].reverse().join('')]);
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  const readable = new Set<string>();
  if (/^[\x20-\x7e]{8,}$/.test(decoded)) {
    readable.add(decoded);
    random.add(Buffer.from(decoded).toString('hex'));
    const password = decoded.slice(decoded.indexOf(':') + 1);
    if (decoded.includes(':') && password.length >= 8) readable.add(password);
  }
  // A form under 6 characters would redact ordinary words: such keys are refused before any use (src/config.ts keyProblem).
  const long = (set: Set<string>) => [...set].filter((f) => f.length >= 6);
  const list = [...new Set([...long(random), ...long(readable)])].sort((a, b) => b.length - a.length);
  if (!list.length) return;
  if (secrets.some((s) => s.name === name && s.forms.join('\n') === list.join('\n'))) return; // already registered
  const slices = (fs: string[]) => new Set(fs.flatMap((f) => Array.from({ length: Math.max(0, f.length - WINDOW + 1) }, (_, i) => f.slice(i, i + WINDOW))));
  memo.clear();
  runMemo.clear();
  secrets.push({
    name,
    forms: list,
    token: token.toLowerCase(),
    short: list.filter((f) => f.length < WINDOW).map((f) => f.toLowerCase()),
    anyCase: slices(long(random).map((f) => f.toLowerCase())),
    exactCase: slices(long(readable)),
  });
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", plus: '+', sol: '/', equals: '=', colon: ':', percnt: '%', bsol: '\\', lowbar: '_', period: '.', hyphen: '-', dash: '-' };
const ESCAPE = /%([0-9A-Fa-f]{2})|\\u([0-9A-Fa-f]{4})|\\([/\\"])|&#(\d{1,7});|&#[xX]([0-9A-Fa-f]{1,6});|&([A-Za-z]{2,8});/g;

/**
 * The text with its escapes undone: percent-encoding (either case of hex), JSON escapes (`\u002b`,
 * `\/`) and HTML character references, repeated while it changes (at most 3 times: `%252B`).
 */
export function decodeEscapes(text: string): string {
  let out = text;
  for (let i = 0; i < 3; i++) {
    const next = out.replace(ESCAPE, (all, pct?: string, u?: string, esc?: string, dec?: string, hex?: string, named?: string) => {
      const code = pct ?? u ?? hex;
      if (code !== undefined) return String.fromCodePoint(parseInt(code, 16));
      if (esc !== undefined) return esc;
      if (dec !== undefined) return Number(dec) <= 0x10ffff ? String.fromCodePoint(Number(dec)) : all;
      return ENTITIES[named!.toLowerCase()] ?? all;
    });
    if (next === out) break;
    out = next;
  }
  return out;
}

/** Forgets every registered secret (tests only). */
export function clearSecrets(): void {
  secrets.length = 0;
  memo.clear();
  runMemo.clear();
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

/** A run of token-like characters, escapes included (`%2B`, `\u002b`, `\/`, `&#43;`, `&plus;`). */
const RUN = /\[REDACTED:[A-Z0-9_]*\]|(?:[A-Za-z0-9+/=_%.~-]|\\u[0-9A-Fa-f]{4}|\\[/\\]|&#?[A-Za-z0-9]{1,8};)+/g;

/**
 * Replaces every registered secret in `text`. Whole values are replaced exactly; then every run
 * of 6 or more token-like characters that is a fragment of a token, or shares 12 consecutive
 * characters with the value or token (in any letter case) or with the decoded form (as is), is
 * replaced whole: truncated, split, extended, re-cased, percent-encoded, JSON- or HTML-escaped
 * copies of a key are caught as well as the key itself (a run is matched with its escapes undone).
 */
export function redact(text: string): string {
  if (!secrets.length || text.length < 6) return text; // a form or run shorter than 6 characters is never redacted
  const known = memo.get(text);
  if (known !== undefined) return known;
  const clean = redactNow(text);
  if (memo.size >= MEMO_MAX) memo.clear();
  memo.set(text, clean);
  return clean;
}

/**
 * Redacted texts, for the run's secrets as they are now (emptied when one is added): a run
 * redacts the same header names, bodies and messages many times over (each exchange is
 * redacted where it is recorded and again in every view).
 */
const memo = new Map<string, string>();
/** The same for each run of token-like characters (see RUN), redacted or as it is. */
const runMemo = new Map<string, string>();
const MEMO_MAX = 20_000;

function redactNow(text: string): string {
  let out = text;
  for (const s of secrets) {
    for (const form of s.forms) {
      if (form.length >= 4) out = out.split(form).join(MARK + s.name + ']');
    }
  }
  return out.replace(RUN, (found) => {
    if (found.startsWith(MARK)) return found; // already redacted: redaction is idempotent
    let verdict = runMemo.get(found); // a report repeats its words (class names, ids, header names) many times
    if (verdict === undefined) {
      const run = /[%\\&]/.test(found) ? decodeEscapes(found) : found;
      const lower = run.toLowerCase();
      const hit = run.length < 6 ? undefined : secrets.find((s) => carries(run, lower, s));
      verdict = hit ? MARK + hit.name + ']' : found;
      if (runMemo.size >= MEMO_MAX) runMemo.clear();
      runMemo.set(found, verdict);
    }
    return verdict;
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

/** Control characters (C0 but tab and line feed, DEL, C1) and bidirectional overrides: what a target sent must not drive a terminal or reorder a page. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * The text with every control character written as a `\uXXXX` escape: shown on a console or in
 * Markdown and HTML as visible text, and in JSON the same escape JSON itself reads back (a raw
 * control character in a JSON file can only sit inside a string).
 */
export const printable = (text: string): string => text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/**
 * Our own terminal styles (colour) survive printable(): they travel as a marker holding a nonce no
 * target can know, and become escape sequences only here, after everything a target sent was escaped.
 */
const NONCE = randomBytes(8).toString('hex');
const STYLE_MARK = new RegExp(`\uE000${NONCE}:([\\d;]+)\uE001`, 'g');
export const styleMark = (sgr: string): string => `\uE000${NONCE}:${sgr}\uE001`;
const shown = (line: string) => printable(redact(line)).replace(STYLE_MARK, '\u001b[$1m') + '\n';

/** The console's writers (the command's own lines, and a run's through src/cli.ts): redacted, printable, styled. */
export const out = (line: string): void => void process.stdout.write(shown(line));
export const err = (line: string): void => void process.stderr.write(shown(line));

/** Where one run's lines go (src/command.ts): its own writers, never a module's. */
export interface Lines {
  out: (line: string) => void;
  err: (line: string) => void;
  /** stderr is a terminal: the progress line is redrawn in place through this (text without a newline). */
  terminal?: (text: string) => void;
}

/**
 * A run's writers behind the redaction: every line they get is redacted first (the console's
 * writers redact again, harmlessly: redaction is idempotent). None: the run prints nothing.
 */
export function redacting(to: Lines | undefined): Lines {
  if (!to) return { out: () => {}, err: () => {} };
  const terminal = to.terminal;
  return { out: (line) => to.out(redact(line)), err: (line) => to.err(redact(line)), ...(terminal && { terminal: (text: string) => terminal(redact(text)) }) };
}

/**
 * Redacts every string (keys included) inside a value in place, following each object once:
 * vitest's task tree (parents, files, meta, errors) before its blob reporter writes it.
 */
export function redactInPlace(value: unknown, seen = new WeakSet<object>()): void {
  if (!value || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const v = record[key];
    if (typeof v === 'string') record[key] = redact(v);
    else redactInPlace(v, seen);
    const clean = redact(key);
    if (clean !== key && !Array.isArray(value)) {
      record[clean] = record[key];
      delete record[key];
    }
  }
}

/**
 * Writes a file whose content has been redacted and made printable: whole or not at all. The
 * temporary file is created exclusively under an unpredictable name (no link planted there is
 * followed), then renamed over the path (a link at the path is replaced, not followed).
 */
export function writeRedacted(path: string, content: string): void {
  const partial = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.partial`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(partial, printable(redact(content)), { flag: 'wx', mode: 0o644 });
    renameSync(partial, path);
  } catch (e) {
    rmSync(partial, { force: true });
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot write ${path} (${code ?? 'error'}${code === 'EISDIR' ? ': a directory is in the way' : ''})`);
  }
}
