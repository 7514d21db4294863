// The mock's seeded faults as data: each a mistake real servers make, named, described, and
// what it changes in the reference mock (mock/server.ts reads this table and nothing else about
// faults). A fault may break several clauses (one wrong header can fail a check per operation);
// the exact checks each one fails: test/fixtures/fault-expectations.json (`npm run faults:record`),
// compared exactly by test/faults.test.ts.
import type { CredentialRole, Operation } from '../core/spec.js';

/** The mock's keys, as the faults see them: `token` is the valid key without its scheme; `validBytes` its decoded bytes. */
export interface FaultKeys {
  valid: string;
  token: string;
  validBytes: Buffer;
}

/** What a fault changes; every field optional, the mock's correct behaviour where absent. */
export interface FaultEffect {
  description: string;
  /** Also accepts this Authorization value (a single field) as the valid key. */
  accepts?(value: string, keys: FaultKeys): boolean;
  /** Accepts a request whose query carries this (the valid key or its token), whatever its header. */
  acceptsQuery?(query: URLSearchParams, keys: FaultKeys): boolean;
  /** The credential role whose documented answer a request without Authorization gets. */
  missingAs?: CredentialRole;
  /** The credential role whose documented answer the quota key gets. */
  quotaAs?: CredentialRole;
  /** Fails with 500 on this Authorization value. */
  crashesOn?(value: string): boolean;
  /** Fields changed in the answer to a refused key: `documentedError()` is the spec's error text for it. */
  refusal?(value: string, documentedError: () => unknown): Record<string, unknown>;
  /** Only the exact header name "Authorization" is read. */
  exactHeaderName?: true;
  /** Error answers are text/html pages. */
  htmlErrors?: true;
  /** Changes every answer's headers (`tls`, `injectKey`: how the mock serves). */
  headers?(headers: Record<string, string | number>, serving: { tls: boolean; injectKey: boolean; keys: FaultKeys }): Record<string, string | number>;
  /** With injectKey: the client's own Authorization is forwarded instead of replaced. */
  forwardsClientAuth?: true;
  /** This operation is not routed: 404 to every request. */
  unrouted?(op: Operation): boolean;
  /** This operation does not check credentials. */
  skipsAuth?(op: Operation): boolean;
  /** This operation refuses the valid key (the answer to a wrong one). */
  rejectsValid?(op: Operation): boolean;
  /** Changes the success body of this operation. */
  rewrite?(body: Record<string, unknown>, op: Operation): Record<string, unknown>;
  /** GET answers with 200 are remembered by request target and replayed to anyone (REPLAY_LIMIT of them). */
  replays?: true;
  /** With tls: the plain-http port serves the API instead of redirecting to https. */
  servesPlainHttp?: true;
}

const decoded = (value: string): Buffer | undefined => (value.startsWith('Basic ') ? Buffer.from(value.slice('Basic '.length), 'base64') : undefined); // skips what is not base64, as Node does
const capitalizeLastWord = (text: unknown) => String(text).replace(/(\w)(\w*)$/, (_, a: string, b: string) => a.toUpperCase() + b);

const TABLE = {
  'missing-header-401': { description: 'a request without Authorization gets 401 instead of 400', missingAs: 'wrong' },
  'wrong-error-text': { description: "the wrong key's error text has its last word capitalised", refusal: (_, error) => ({ error: capitalizeLastWord(error()) }) },
  'quota-as-401': { description: 'the quota-exhausted key gets 401 instead of 403', quotaAs: 'wrong' },
  'bearer-accepted': { description: 'the key is accepted with the Bearer scheme', accepts: (value, k) => value === `Bearer ${k.token}` },
  'prefix-optional': { description: 'the key is accepted without the "Basic " prefix', accepts: (value, k) => value === k.token },
  'query-key-accepted': { description: 'a key in the api_key query parameter is accepted', acceptsQuery: (query, k) => [k.valid, k.token].includes(query.get('api_key') ?? '') },
  'auth-skipped-create-file': { description: 'POST /file does not check credentials at all', skipsAuth: (op) => op.path === '/file' },
  'valid-key-rejected-list-files': { description: 'GET /directory/{dirId} rejects the valid key', rejectsValid: (op) => op.path === '/directory/{dirId}' },
  'valid-key-rejected-process': { description: 'POST /ffmpeg/process rejects the valid key (a key scope the server forgot to grant)', rejectsValid: (op) => op.path === '/ffmpeg/process' },
  'run-not-routed': { description: 'the deprecated POST /ffmpeg/run is no longer routed: 404 to every request, with or without a key', unrouted: (op) => op.path === '/ffmpeg/run' },
  'upload-url-relative': {
    description: 'POST /file answers its upload URL as a path, not an absolute URL',
    rewrite: (body, op) => (op.path === '/file' ? { ...body, upload: { ...(body.upload as object), url: '/upload/dir_123/video.mp4' } } : body),
  },
  'schema-break': { description: 'GET /directory answers "directories" as an object', rewrite: (body) => (Array.isArray(body.directories) ? { ...body, directories: {} } : body) },
  'token-case-insensitive': { description: 'the key is compared without regard to letter case', accepts: (value, k) => value.toLowerCase() === k.valid.toLowerCase() },
  'extra-chars-accepted': { description: 'a key with characters appended is accepted (prefix match)', accepts: (value, k) => value.startsWith(k.valid) },
  // what Basic-auth middleware does (@fastify/basic-auth, express-basic-auth, hono basicAuth, FastAPI HTTPBasic)
  'decode-and-compare': {
    description:
      "the token is decoded by Node's lenient base64 decoder (it skips characters outside the alphabet and stops at the padding) and the bytes compared, so other strings of the same bytes are accepted: no padding, changed unused bits, base64url, re-encoded, whitespace inside, characters after the padding or outside the alphabet",
    accepts: (value, k) => decoded(value)?.equals(k.validBytes) ?? false,
  },
  'any-user-pass': {
    description: 'any token that decodes to "user:password" is accepted, whatever the user and password: a throwaway pair, another password, and every reshaped form of a user:password key (truncated, unpadded, base64url, ...)',
    accepts: (value) => /^[\x21-\x7e][\x20-\x7e]*:[\x20-\x7e]*$/.test(decoded(value)?.toString('latin1') ?? ''),
  },
  'trim-normalise': {
    description: 'the value is trimmed and the whitespace inside it dropped before the compare, so a tab after "Basic" and spaces or tabs inside the token are accepted',
    accepts: (value, k) => {
      const [scheme, ...token] = value.trim().split(/\s+/);
      return `${scheme} ${token.join('')}` === k.valid;
    },
  },
  'decoded-case-insensitive': {
    description: 'the token is decoded as decode-and-compare does and the credentials compared without regard to letter case, so a re-cased user part is accepted, and everything decode-and-compare accepts',
    accepts: (value, k) => decoded(value)?.toString('latin1').toLowerCase() === k.validBytes.toString('latin1').toLowerCase(),
  },
  'decoded-prefix': {
    description: 'the token is decoded and only as many bytes as the valid key has are compared, so other base64 forms of the key and the key with characters appended are accepted',
    accepts: (value, k) => decoded(value)?.subarray(0, k.validBytes.length).equals(k.validBytes) ?? false,
  },
  'lowercase-name-rejected': { description: 'only the exact header name "Authorization" is honoured', exactHeaderName: true },
  'html-errors': { description: 'error answers are text/html pages', htmlErrors: true },
  '5xx-on-malformed': { description: 'a tab after "Basic" makes the server fail with 500', crashesOn: (value) => value.startsWith('Basic\t') },
  'echo-credential': { description: 'the 401 body echoes the credential it received', refusal: (value) => ({ received: value }) },
  // the deployment (suites/deployment.conformance.ts)
  'no-hsts': {
    description: 'with tls: answers carry no Strict-Transport-Security header',
    headers: ({ 'strict-transport-security': _, ...rest }) => rest,
  },
  'http-served': { description: 'with tls: the plain-http port serves the API instead of redirecting to https', servesPlainHttp: true },
  'replays-cached': { description: 'a GET answered 200 once is answered the same to anyone after, like a cache keyed on the URL only', replays: true },
  'proxy-leaks-key': {
    description: 'with injectKey: answers carry the injected key in an X-Upstream-Authorization header',
    headers: (headers, s) => (s.injectKey ? { ...headers, 'x-upstream-authorization': s.keys.valid } : headers),
  },
  'proxy-forwards-client-auth': { description: "with injectKey: a client's own Authorization header is forwarded instead of replaced", forwardsClientAuth: true },
} as const satisfies Record<string, FaultEffect>;

export type Fault = keyof typeof TABLE;

/** Each fault by name: what it changes. */
export const FAULT_EFFECTS: Readonly<Record<Fault, FaultEffect>> = TABLE;

/** Each fault by name: its one-line description (`mock --help`, the API). */
export const FAULTS = Object.fromEntries(Object.entries(TABLE).map(([name, f]) => [name, f.description])) as Record<Fault, string>;
