// The caller's side of the contract, judged only passively (suites/passive.ts, on the traffic the
// proxy forwards): the guide's advice to those who send the key. Same registry, same signature as
// the judges of answers (suites/judges.ts): these read the exchange's request instead. A finding
// here is the client's, never the server's: each check's id starts with `client.`.
import { isLoopback } from '../core/http/errors.js';
import { decodeEscapes, type SecretFinder } from '../core/secrets.js';
import type { Check, JudgeId } from './catalog.js';
import type { Finding } from '../core/results.js';
import type { Answer, Judge, Judgement } from './judge-types.js';

/** Header names a key is often put under by mistake (the guide's "Auth", "Bearer", and their kin). */
const KEY_HEADER = /^(auth|bearer|authorisation|x-api-key|api-key|apikey|x-auth-token|x-api-token|token|x-authorization)$/i;
/** Query parameters and JSON members that carry a key by their name. */
const KEY_PARAM = /^(api[_-]?key|key|token|access[_-]?token|auth|authorization|apikey|secret)$/i;
const JSON_MEDIA_TYPE = /^application\/([\w.+-]+\+)?json\s*(;|$)/i;

type Request = Answer['exchange']['request'];
const headerValues = (r: Request, name: string) => r.headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);

/** Whether a text carries a configured key (any form redaction removes), or the token the request sent in its Authorization header. */
function carriesKey(secrets: SecretFinder, text: string, sentToken: string | undefined): boolean {
  return secrets.contains(text) || (sentToken !== undefined && sentToken.length >= 8 && decodeEscapes(text).includes(sentToken));
}
const tokenOf = (r: Request): string | undefined => headerValues(r, 'authorization')[0]?.replace(/^\s*\S+\s+/, '').trim() || undefined;

/** One finding about the caller, or none. */
function client(check: Check, a: Answer, what: string | undefined): Judgement {
  const findings: Finding[] = what === undefined ? [] : [{ kind: 'client', probe: `${a.exchange.request.method} ${a.exchange.request.url.pathname}`, message: `the client: ${what}` }];
  void check;
  return { verdict: findings.length ? 'fail' : 'pass', findings, shown: a.exchange };
}

const one = (expected: string, offence: (r: Request, secrets: SecretFinder) => string | undefined): Judge => ({
  expected: () => expected,
  judge: (check, [a], ctx) => client(check, a!, offence(a!.exchange.request, ctx.secrets)),
});

/** Whether the request carries a credential of any kind (a header, a key in the URL or the body). */
export function carriesCredential(r: Request, secrets: SecretFinder): boolean {
  return r.headers.some(([n, v]) => n.toLowerCase() === 'authorization' || KEY_HEADER.test(n) || secrets.contains(v)) || secrets.contains(r.url.href) || (r.body !== undefined && secrets.contains(r.body));
}

export const CLIENT_JUDGES: Record<Extract<JudgeId, `client-${string}`>, Judge> = {
  'client-header-name': one('the key only under the header named Authorization (any letter case), never under Auth, Bearer, X-API-Key or another name', (r, secrets) => {
    const token = tokenOf(r);
    const wrong = r.headers.find(([n, v]) => n.toLowerCase() !== 'authorization' && n.toLowerCase() !== 'cookie' && v.trim() !== '' && (KEY_HEADER.test(n) || carriesKey(secrets, v, token)));
    return wrong && `expected the key under Authorization, sent a header named ${wrong[0]}`;
  }),
  'client-prefix': one('Authorization: Basic <key>: the scheme "Basic", one space, the key as copied (no other scheme, no whitespace inside)', (r) => {
    const values = headerValues(r, 'authorization');
    if (values.length > 1) return `expected one Authorization header, sent ${values.length}`;
    const v = values[0];
    if (v === undefined) return undefined;
    if (/^Basic [^\s]+$/.test(v.trim())) return undefined;
    const scheme = /^\s*(\S+)/.exec(v)?.[1];
    if (scheme && scheme !== 'Basic' && /^[A-Za-z][\w-]*$/.test(scheme) && v.trim() !== scheme) return `expected Authorization: Basic <key>, sent the ${scheme} scheme`;
    return `expected Authorization: Basic <key>, sent ${v.trim() === '' ? 'an empty value' : /^\s*Basic\S/.test(v) ? '"Basic" without the space' : 'a value with whitespace or without the scheme'}`;
  }),
  'client-placement': one('the key in the Authorization header only: never in the URL, the query string, the body or a cookie', (r, secrets) => {
    const token = tokenOf(r);
    const params = [...r.url.searchParams].find(([name, v]) => (KEY_PARAM.test(name) && v !== '') || carriesKey(secrets, v, token) || carriesKey(secrets, name, token));
    if (params) return `expected no key in the query string, sent one in the query parameter ${params[0]}`;
    if (carriesKey(secrets, r.url.pathname, token) || carriesKey(secrets, r.url.username + r.url.password, token)) return 'expected no key in the URL, sent one in its path';
    const cookie = headerValues(r, 'cookie').find((c) => carriesKey(secrets, c, token) || /(^|;\s*)(authorization|api[_-]?key|token)=/i.test(c));
    if (cookie !== undefined) return 'expected no key in a cookie, sent one in the Cookie header';
    if (r.body !== undefined && r.body !== '') {
      if (carriesKey(secrets, r.body, token)) return 'expected no key in the request body, sent one in it';
      const members = keyMembers(r.body);
      if (members) return `expected no key in the request body, sent one in its JSON member ${members}`;
    }
    return undefined;
  }),
  'client-json-content-type': one('a request whose body is JSON carries Content-Type application/json', (r) => {
    if (r.body === undefined || !/^\s*[[{]/.test(r.body) || !isJsonText(r.body)) return undefined;
    const type = headerValues(r, 'content-type')[0];
    return type !== undefined && JSON_MEDIA_TYPE.test(type) ? undefined : `expected Content-Type application/json on a JSON body, sent ${type === undefined ? 'no Content-Type' : `Content-Type ${type}`}`;
  }),
  'client-https': one('a request carrying a key goes over https, unless to loopback', (r, secrets) =>
    r.url.protocol === 'http:' && !isLoopback(r.url.hostname) && carriesCredential(r, secrets) ? `expected https for a request carrying a key, sent it over plain http to ${r.url.host}` : undefined,
  ),
};

function isJsonText(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** The first top-level JSON member whose name says it is a key, with a non-empty value. */
function keyMembers(body: string): string | undefined {
  try {
    const v = JSON.parse(body) as unknown;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    return Object.entries(v).find(([k, x]) => KEY_PARAM.test(k) && typeof x === 'string' && x !== '')?.[0];
  } catch {
    return undefined;
  }
}

/** The checks of the caller's side, as data like the catalog's (never run by the active suites). */
export function clientChecks(clauseOf: (id: string) => Check['clause']): Check[] {
  const rows: Array<[string, string, string, JudgeId]> = [
    ['client.header-name', 'auth.header-name', 'the caller sends the key under the header named Authorization', 'client-header-name'],
    ['client.prefix', 'auth.prefix', 'the caller sends Authorization as "Basic " and the key', 'client-prefix'],
    ['client.placement', 'auth.placement', 'the caller puts no key in the URL, the query string, a cookie or the body', 'client-placement'],
    ['client.json-content-type', 'request.json-content-type', 'the caller sends a JSON body with Content-Type application/json', 'client-json-content-type'],
    ['client.https', 'transport.https-only', 'the caller sends its key over https (loopback aside)', 'client-https'],
  ];
  return rows.map(([id, clause, title, judge]) => {
    const c = clauseOf(clause);
    return { id, suite: 'client', group: 'client', clause: c, level: c.level, title, judge };
  });
}
