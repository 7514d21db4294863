// The shapes a key is sent in. A probe's header values, query values and body are templates over
// the key: `{value}` is the whole header value ("Basic <token>"), `{token}` the part after the
// scheme; `|name` or `|name:N` applies a transform, left to right. Templates are plain strings,
// so a catalog is data that --plan, --list and the suites share without rebuilding it.

/** The key a template is filled from: the whole header value and the token after "Basic ". */
export interface KeyParts {
  value: string;
  token: string;
}

export const keyParts = (value: string): KeyParts => ({ value, token: value.replace(/^\S+\s+/, '') });
export const NO_KEY: KeyParts = { value: '', token: '' };

const swapCase = (s: string) => [...s].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('');

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * The last significant character of a padded base64 token with the lowest of the bits the
 * decoder drops flipped ("…ZmMA==" → "…ZmMB=="): a different string that decodes to the same bytes.
 */
function flipUnusedBit(s: string): string {
  const i = s.replace(/=+$/, '').length - 1;
  const at = BASE64.indexOf(s[i]!);
  if (i === s.length - 1 || at < 0) return s; // unpadded: no unused bits (keyShapeMissing says so)
  return s.slice(0, i) + BASE64[at ^ 1]! + s.slice(i + 1);
}

/** The decoded "user:password" key with its parts changed, re-encoded. */
function reshapeUserPass(s: string, change: (user: string, password: string) => string): string {
  const decoded = Buffer.from(s, 'base64').toString('latin1');
  const colon = decoded.indexOf(':');
  return Buffer.from(change(decoded.slice(0, colon), decoded.slice(colon + 1)), 'latin1').toString('base64');
}

/** Transforms by name; N is the number after the colon. */
const TRANSFORMS: Record<string, (s: string, n: number) => string> = {
  swapcase: (s) => swapCase(s),
  'head': (s, n) => s.slice(0, n),
  'from': (s, n) => s.slice(n),
  'drop-end': (s, n) => s.slice(0, Math.max(0, s.length - n)),
  uri: (s) => encodeURIComponent(s),
  json: (s) => JSON.stringify(s).slice(1, -1),
  // base64 forms of the same bytes that decode-then-compare servers accept (suites/catalog.ts auth.copying)
  unpad: (s) => s.replace(/=+$/, ''),
  'unused-bits': (s) => flipUnusedBit(s),
  base64url: (s) => s.replace(/\+/g, '-').replace(/\//g, '_'),
  'other-password': (s) => reshapeUserPass(s, (user) => `${user}:conformance_other_password`),
  'user-swapcase': (s) => reshapeUserPass(s, (user, password) => `${swapCase(user)}:${password}`),
};

/**
 * What a probe needs of the key's token, when it reshapes its base64: padding to drop or whose
 * unused bits to change, a "+" or "/" to write in the base64url alphabet, either of the two to
 * re-encode differently, or a decoded "user:password" whose password to change (or whose user
 * part, with letters, to write in another case).
 */
export type KeyShape = 'padding' | 'plus-slash' | 'padding-or-plus-slash' | 'user-pass' | 'user-pass-cased';

const CANONICAL_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Why the token does not have the shape a probe needs (the probe is then not sent), or undefined. */
export function keyShapeMissing(shape: KeyShape, token: string): string | undefined {
  if (!token || !CANONICAL_BASE64.test(token)) return 'the key\'s token is not canonical base64, so it has no other base64 form of the same bytes';
  const padded = token.endsWith('=');
  const plusSlash = /[+/]/.test(token);
  if (shape === 'padding' && !padded) return 'the key\'s token has no "=" padding (its bytes fill whole base64 groups): there is no padding to drop and no unused bit to change';
  if (shape === 'plus-slash' && !plusSlash) return 'the key\'s token has no "+" or "/": its base64url form is the same string';
  if (shape === 'padding-or-plus-slash' && !padded && !plusSlash) return 'the key\'s token has no "=" padding and no "+" or "/": re-encoded as unpadded base64url it is the same string';
  if (shape === 'user-pass' || shape === 'user-pass-cased') {
    const decoded = Buffer.from(token, 'base64').toString('latin1');
    if (!/^[\x21-\x7e][\x20-\x7e]*:/.test(decoded)) return 'the key does not decode to "user:password", so there is no user part to keep or re-case';
    if (shape === 'user-pass-cased' && !/[a-z]/i.test(decoded.slice(0, decoded.indexOf(':')))) return 'the user part of the key has no letters to write in another case';
  }
  return undefined;
}

const PLACEHOLDER = /\{(value|token)((?:\|[a-z][a-z0-9-]*(?::\d+)?)*)\}/g;

/** Fills a template from the key. An unknown transform is a bug of the catalog: it throws. */
export function fill(template: string, k: KeyParts): string {
  return template.replace(PLACEHOLDER, (_, part: 'value' | 'token', chain: string) =>
    chain
      .split('|')
      .slice(1)
      .reduce((s, step) => {
        const [name, n] = step.split(':') as [string, string | undefined];
        const f = TRANSFORMS[name];
        if (!f) throw new Error(`unknown key transform "${name}" in template ${JSON.stringify(template)}`);
        return f(s, Number(n ?? 0));
      }, k[part]),
  );
}
