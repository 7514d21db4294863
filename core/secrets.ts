// The one place where secrets are redacted. Every output of the tool — console lines, error
// messages, the exchanges stored in a check's meta and every report file — passes through here.
import { randomBytes } from 'node:crypto';
import { writeFilesTogether, writeFileSafely } from './files.js';

interface Secret {
  name: string;
  forms: string[]; // the value, the token, the decoded form (and more, see addSecret); longest first
  labels: Map<string, string>; // each form as it is, and what it is: "as sent", "base64", "hex", "reversed", "decoded"
  token: string; // in lower case: random-looking, so any fragment of it is a leak (unlike words of the decoded form)
  short: string[]; // forms shorter than WINDOW, in lower case
  anyCase: Map<string, string>; // every WINDOW-character slice of the random-looking forms, in lower case, and its form's label: a re-cased key is still the key
  exactCase: Map<string, string>; // every WINDOW-character slice of the decoded form and its password, as is: "QUOTA_EXCEEDED_KEY" is not "quota_exceeded_key_…"
  readable: string[]; // the decoded form and its password in lower case: found whole in any letter case
  readableAnyCase: Set<string>; // every WIDE-character slice of those, in lower case: long enough that no variable name holds one
  /** Rolling hashes of the slices above (see hashes): a long run is searched in one pass, a slice made only where a hash matches. */
  hashed: { anyCase: Set<number>; exactCase: Set<number>; readableAnyCase: Set<number> };
}

const HASH_BASE = 131;
/**
 * The rolling hash (a polynomial in 32-bit integer arithmetic) of each `n`-character slice of
 * `text`, in order: calls `at(hash, start)` until it returns true. A match is confirmed by the slice.
 */
function rolling(text: string, n: number, at: (hash: number, start: number) => boolean): void {
  if (text.length < n) return;
  let top = 1; // HASH_BASE^(n-1)
  for (let i = 1; i < n; i++) top = Math.imul(top, HASH_BASE);
  let h = 0;
  for (let i = 0; i < text.length; i++) {
    if (i >= n) h = (h - Math.imul(text.charCodeAt(i - n), top)) | 0;
    h = (Math.imul(h, HASH_BASE) + text.charCodeAt(i)) | 0;
    if (i >= n - 1 && at(h, i - n + 1)) return;
  }
}
const hashes = (slices: Iterable<string>, n: number): Set<number> => {
  const set = new Set<number>();
  for (const s of slices) rolling(s, n, (h) => (set.add(h), true));
  return set;
};

const secrets: Secret[] = [];
const WINDOW = 12; // a run sharing this many consecutive characters with a secret is redacted
const WIDE = 20; // … or this many with the decoded form in another letter case ("FFMPEG_API_QUOTA_EXCEEDED_KEY" shares 18 with "quota_exceeded_key_0123456789")
const MARK = '[REDACTED:';

/**
 * Registers a credential (a whole `Basic <token>` header value) under its variable name. Besides
 * the value, the token and the decoded `user:password` (and its password, found in any letter
 * case), the forms a key travels in are known too: the base64 and base64url of the header value and
 * of the decoded form at each of the three offsets inside longer encoded bytes, the hex of both,
 * the token reversed. Spaced hex, MIME-wrapped base64 and ignorable characters between letters are
 * read where they are found (see scan). Percent-encoded, JSON-escaped and HTML-escaped copies are
 * decoded where they are found (see decodeEscapes), so they need no forms of their own.
 */
export function addSecret(name: string, value: string | undefined): void {
  if (!value) return;
  const token = value.replace(/^\s*\S+\s+/, '').trim();
  const whole = value.trim();
  const labels = new Map<string, string>(); // each form as it is, and what it is
  const label = (what: string, forms: string[]) => forms.forEach((f) => labels.has(f) || labels.set(f, what));
  label('as sent', [whole, token]);
  label('hex', [Buffer.from(whole).toString('hex')]);
  label('reversed', [[...token].reverse().join('')]);
  label('base64', base64Forms(whole));
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  const readable = new Set<string>();
  if (/^[\x20-\x7e]{8,}$/.test(decoded)) {
    readable.add(decoded);
    label('hex', [Buffer.from(decoded).toString('hex')]);
    label('base64', base64Forms(decoded));
    const password = decoded.slice(decoded.indexOf(':') + 1);
    if (decoded.includes(':') && password.length >= 8) readable.add(password);
  }
  // A form under 6 characters would redact ordinary words: such keys are refused before any use (core/config.ts keyProblem).
  const long = (set: Iterable<string>) => [...set].filter((f) => f.length >= 6);
  const random = long(labels.keys());
  label('decoded', [...readable]);
  const list = [...new Set([...random, ...long(readable)])].sort((a, b) => b.length - a.length);
  if (!list.length) return;
  if (secrets.some((s) => s.name === name && s.forms.join('\n') === list.join('\n'))) return; // already registered
  const slices = (fs: string[], lower: boolean) =>
    new Map(fs.flatMap((f) => Array.from({ length: Math.max(0, f.length - WINDOW + 1) }, (_, i): [string, string] => [(lower ? f.toLowerCase() : f).slice(i, i + WINDOW), labels.get(f)!])));
  const anyCase = slices(random, true);
  const exactCase = slices(long(readable), false);
  const readableAnyCase = new Set([...readable].flatMap((f) => Array.from({ length: Math.max(0, f.length - WIDE + 1) }, (_, i) => f.toLowerCase().slice(i, i + WIDE))));
  memo.clear();
  runMemo.clear();
  secrets.push({
    name,
    forms: list,
    labels,
    token: token.toLowerCase(),
    short: list.filter((f) => f.length < WINDOW).map((f) => f.toLowerCase()),
    anyCase,
    exactCase,
    readable: long(readable).filter((f) => f.length >= 8).map((f) => f.toLowerCase()),
    readableAnyCase,
    hashed: { anyCase: hashes(anyCase.keys(), WINDOW), exactCase: hashes(exactCase.keys(), WINDOW), readableAnyCase: hashes(readableAnyCase, WIDE) },
  });
}

/**
 * The base64 and base64url of a string wherever it starts inside longer encoded bytes: at an
 * offset of 0, 1 or 2 bytes from a 3-byte group (`'x' + key`, a JWT-style cookie holding the
 * header), only the characters made of the string's own bits are the same, so those are kept.
 */
function base64Forms(text: string): string[] {
  const bytes = Buffer.from(text);
  return [0, 1, 2].flatMap((offset) => {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const stable = encoded.slice(Math.ceil((8 * offset) / 6), Math.floor((8 * (offset + bytes.length)) / 6));
    return [stable, stable.replace(/\+/g, '-').replace(/\//g, '_')];
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

/** Which form of a secret a run of token-like characters carries, if any (see redact). */
function carries(run: string, lower: string, s: Secret): string | undefined {
  if (s.token.includes(lower)) return 'as sent';
  if (s.short.some((f) => lower.includes(f))) return 'as sent';
  if (s.readable.some((f) => lower.includes(f))) return 'decoded';
  // a fragment of the token inside a longer run: "session=<fragment>", "x-echo-<fragment>"
  if (lower.split(/[=._~-]+/).some((piece) => piece.length >= 6 && piece !== lower && s.token.includes(piece))) return 'as sent';
  // windows are looked up in maps, so a long run costs its length, not its length × the secret's
  let form: string | undefined;
  rolling(lower, WINDOW, (h, i) => Boolean(s.hashed.anyCase.has(h) && (form = s.anyCase.get(lower.slice(i, i + WINDOW)))));
  if (!form) rolling(run, WINDOW, (h, i) => Boolean(s.hashed.exactCase.has(h) && (form = s.exactCase.get(run.slice(i, i + WINDOW)))));
  if (!form) rolling(lower, WIDE, (h, i) => Boolean(s.hashed.readableAnyCase.has(h) && s.readableAnyCase.has(lower.slice(i, i + WIDE)) && (form = 'decoded, in another letter case')));
  return form;
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
const runMemo = new Map<string, { mark: string; form: string } | null>();
const MEMO_MAX = 20_000;

function redactNow(text: string): string {
  return scan(text, 0).text;
}

/** A run's verdict: the mark of the secret it carries and the form it carries it in, or nothing. */
function runVerdict(found: string): { mark: string; form: string } | undefined {
  let verdict = runMemo.get(found); // a report repeats its words (class names, ids, header names) many times
  if (verdict === undefined) {
    const escaped = /[%\\&]/.test(found);
    const run = escaped ? decodeEscapes(found) : found;
    const lower = run.toLowerCase();
    verdict = null;
    if (run.length >= 6)
      for (const s of secrets) {
        const form = carries(run, lower, s);
        if (form) {
          verdict = { mark: MARK + s.name + ']', form: escaped ? `${form}, escaped` : form };
          break;
        }
      }
    if (runMemo.size >= MEMO_MAX) runMemo.clear();
    runMemo.set(found, verdict);
  }
  return verdict ?? undefined;
}

/** Characters that show as nothing (zero-width, formatting, NUL: UTF-16 text read as UTF-8), raw or escaped. */
// (the last ones: zero-width characters, word joiners, a BOM and a soft hyphen as UTF-8 bytes read as latin1, as header values are)
const IGNORABLE_CHAR = '(?:[\\0\\p{Cf}\\u115f\\u1160\\u3164\\uffa0]|\\u034f|[\\ufe00-\\ufe0f]|\\u00e2\\u0080[\\u008b-\\u008f]|\\u00e2\\u0081[\\u00a0-\\u00a4]|\\u00ef\\u00bb\\u00bf|\\u00c2\\u00ad)';
const IGNORABLE_ESCAPE = '\\\\u(?:0000|00[aA][dD]|200[b-fB-F]|20[26][0-9a-fA-F]|[fF][eE][fF][fF])|&#(?:0|173|820[3-7]|8288|65279);|&#[xX]0*(?:0|[aA][dD]|200[b-fB-F]|2060|[fF][eE][fF][fF]);|%00|%[eE]2%80%8[b-fB-F]';
const IGNORABLE = new RegExp(`${IGNORABLE_CHAR}|${IGNORABLE_ESCAPE}`, 'gu');
const HAS_IGNORABLE = new RegExp(IGNORABLE.source, 'u');
/** Token-like characters with ignorable ones between them: "B\u200ba\u200bs…", "B\0a\0s\0…". */
const INTERLEAVED = new RegExp(`(?:[A-Za-z0-9+/=_%.~:-]|\\\\u[0-9A-Fa-f]{4}|&#?[A-Za-z0-9]{1,8};|${IGNORABLE_CHAR})+`, 'gu');
/**
 * Base64 (or base64url) lines broken as MIME does (raw line breaks or escaped ones). It starts only
 * where a run starts (the lookbehind): tried inside a long run without a line break it would cost
 * the run's length at every position of it.
 */
const WRAPPED = /(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]+={0,2}(?:(?:\r?\n|\\r\\n|\\n)[ \t]*[A-Za-z0-9+/_-]+={0,2})+/g;
/** Hex bytes with a separator between them ("42 61 73", "42:61", "0x42, 0x61", "\x42\x61"), in any case. */
const SPACED_HEX = /(?:(?:0x|\\x)?[0-9A-Fa-f]{2}(?:[ \t:,;._|-]{1,3}|(?=0x|\\x))){7,}(?:0x|\\x)?[0-9A-Fa-f]{2}/g;

/**
 * Redacts `text` and names the forms found. In order: the exact forms; readings of the text that
 * decode it another way (ignorable characters removed, MIME line breaks removed, spaced hex as
 * bytes), each found piece redacted whole where it stands; then every run of token-like characters
 * (see carries). A reading's own text is scanned the same way, to a depth of 2.
 */
function scan(text: string, depth: number): { text: string; forms: Set<string> } {
  const forms = new Set<string>();
  let out = text;
  let lower: string | undefined; // out in lower case, while out is unchanged
  for (const s of secrets) {
    const mark = MARK + s.name + ']';
    for (const form of s.forms) {
      if (form.length >= 4 && out.includes(form)) {
        out = out.split(form).join(mark);
        lower = undefined;
        forms.add(s.labels.get(form) ?? 'decoded');
      }
    }
    // the decoded `user:password` in any letter case (a run never holds the colon)
    for (const f of s.readable) {
      if (!f.includes(':') || !(lower ??= out.toLowerCase()).includes(f)) continue;
      lower = undefined;
      out = out.replace(new RegExp(f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi'), mark);
      forms.add('decoded');
    }
  }
  const reading = (pattern: RegExp, form: string, read: (found: string) => string | undefined) => {
    out = out.replace(pattern, (found) => {
      const plain = read(found);
      if (plain === undefined || plain.length < 6 || plain === found || depth >= 2) return found; // (shorter than any form)
      const inner = scan(plain, depth + 1);
      if (inner.text === plain) return found;
      forms.add(form);
      return MARK + (/\[REDACTED:([A-Z0-9_]*)\]/.exec(inner.text)?.[1] ?? '') + ']';
    });
  };
  // (only where an ignorable character stands between letters: at a run's edge it hides nothing the run pass misses)
  if (HAS_IGNORABLE.test(out))
    reading(INTERLEAVED, 'with zero-width or NUL characters between its letters', (found) => {
      const plain = found.replace(IGNORABLE, '');
      return found.includes(plain) ? undefined : plain;
    });
  if (/\n|\\n/.test(out)) reading(WRAPPED, 'base64 with line breaks', (found) => found.replace(/\r?\n|\\r\\n|\\n|[ \t]/g, ''));
  reading(SPACED_HEX, 'hex with separators', (found) => {
    const bytes = Buffer.from(found.replace(/0x|\\x|[^0-9A-Fa-f]/g, ''), 'hex');
    return `${bytes.toString('latin1')} ${bytes.toString('utf16le')}`;
  });
  out = out.replace(RUN, (found) => {
    if (found.startsWith(MARK)) return found; // already redacted: redaction is idempotent
    const verdict = runVerdict(found);
    if (!verdict) return found;
    forms.add(verdict.form);
    return verdict.mark;
  });
  return { text: out, forms };
}

/**
 * The forms in which `text` carries a registered secret ("as sent", "base64", "hex with
 * separators", "decoded", …): what the echo check names. Empty: none.
 */
export function secretForms(text: string): string[] {
  return secrets.length && text.length >= 6 ? [...scan(text, 0).forms] : [];
}

/**
 * Short pieces of a secret spread over several texts of one answer (its header values, in order):
 * the indexes of the texts that together carry 12 characters of a form, or its whole decoded form.
 * Each piece alone is too short to be found.
 */
export function spreadOver(values: string[]): Map<number, string> {
  const hit = new Map<number, string>();
  if (!secrets.length || values.length < 2) return hit;
  const owner: number[] = [];
  values.forEach((v, i) => {
    for (let k = 0; k < v.length; k++) owner.push(i);
  });
  const joined = values.join('');
  const lower = joined.toLowerCase();
  for (const s of secrets) {
    const mark = (from: number, to: number) => {
      if (owner[from] !== owner[to - 1]) for (let k = from; k < to; k++) hit.set(owner[k]!, s.name);
    };
    for (let i = 0; i + WINDOW <= joined.length; i++) if (s.anyCase.has(lower.slice(i, i + WINDOW)) || s.exactCase.has(joined.slice(i, i + WINDOW))) mark(i, i + WINDOW);
    for (const f of s.readable) for (let at = lower.indexOf(f); at >= 0; at = lower.indexOf(f, at + 1)) mark(at, at + f.length);
  }
  return hit;
}

/** Header values of one answer with the pieces of a secret spread over several of them redacted (see spreadOver). */
export function redactSpread(headers: Record<string, string>): Record<string, string> {
  const names = Object.keys(headers);
  const spread = spreadOver(names.map((n) => headers[n]!));
  return spread.size ? Object.fromEntries(names.map((n, i) => [n, spread.has(i) ? `${MARK}${spread.get(i)}]` : headers[n]!])) : headers;
}

/** Whether `text` carries a registered secret in any form `redact` would remove. */
export const containsSecret = (text: string): boolean => secrets.length > 0 && redact(text) !== text;

/** What a judge looks for secrets with (suites/judge-types.ts JudgeContext): handed to it, never read from a module. */
export interface SecretFinder {
  /** The forms in which a text carries a secret (see secretForms). */
  forms(text: string): string[];
  /** Pieces of a secret spread over several header values (see spreadOver). */
  spread(values: string[]): Map<number, string>;
  /** Whether a text carries a secret in any form redaction removes. */
  contains(text: string): boolean;
}

/** The secrets registered for this run (addSecret), as a judge's SecretFinder. */
export const registeredSecrets = (): SecretFinder => ({ forms: secretForms, spread: spreadOver, contains: containsSecret });

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

/** The console's writers (the command's own lines, and a run's through app/cli.ts): redacted, printable, styled. */
export const out = (line: string): void => void process.stdout.write(shown(line));
export const err = (line: string): void => void process.stderr.write(shown(line));

/** Where one run's lines go (app/api.ts): its own writers, never a module's. */
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

/** Writes a file whose content has been redacted and made printable, safely (core/files.ts: whole or not at all, never through a link). */
export function writeRedacted(path: string, content: string): void {
  writeFileSafely(path, printable(redact(content)));
}

/** Writes the files of one report together, each redacted and made printable (core/files.ts: all of them or none). */
export function writeRedactedTogether(dir: string, files: Array<[name: string, content: string]>): string[] {
  return writeFilesTogether(
    dir,
    files.map(([name, content]) => [name, printable(redact(content))]),
  );
}
