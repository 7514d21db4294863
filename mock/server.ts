// The reference mock, derived from the spec (spec/openapi.yaml or a copy): its routes are the
// spec's operations, its success answers the spec's examples, its error answers the spec's
// documented responses for each credential (x-credential). Nothing here restates the contract.
// It can be started with seeded faults (each a mistake real servers make; the exact checks each
// fails are in test/fixtures/fault-expectations.json) to prove that the suite notices.
// In-process on an ephemeral loopback port for a run, or standalone via mock/main.ts.
// It keeps no state of its own (every resource is a spec example), so a long-running standalone
// mock cannot grow; the replays-cached fault remembers at most REPLAY_LIMIT answers.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { err } from '../core/secrets.js';
import { DEFAULT_SPEC, loadContract, responseFor, type Contract, type CredentialRole, type ErrorEnvelope, type Operation } from '../core/spec.js';

/** The guide's example header value (authentication-guide.txt:6, :36). */
const GUIDE_EXAMPLE_KEY = 'Basic dGVzdF91c2VyX2tleV9hYmNkZWZnaGlqa2xtbm9w';

export const DEFAULT_KEYS = {
  valid: GUIDE_EXAMPLE_KEY,
  quota: 'Basic cXVvdGFfZXhjZWVkZWRfa2V5XzAxMjM0NTY3ODk=', // "quota_exceeded_key_0123456789"
  revoked: 'Basic cmV2b2tlZF9rZXlfYWJjZGVmZ2hpamtsbW5vcHE=', // "revoked_key_abcdefghijklmnopq"
} as const;

export type MockKeys = { valid: string; quota: string; revoked: string };

/**
 * Each fault is one mistake; it may break several clauses (one wrong header can fail a check per
 * operation). The exact checks each one fails: test/fixtures/fault-expectations.json
 * (`npm run faults:record`), compared exactly by test/faults.test.ts.
 */
export const FAULTS = {
  'missing-header-401': 'a request without Authorization gets 401 instead of 400',
  'wrong-error-text': "the wrong key's error text has its last word capitalised",
  'quota-as-401': 'the quota-exhausted key gets 401 instead of 403',
  'bearer-accepted': 'the key is accepted with the Bearer scheme',
  'prefix-optional': 'the key is accepted without the "Basic " prefix',
  'query-key-accepted': 'a key in the api_key query parameter is accepted',
  'auth-skipped-create-file': 'POST /file does not check credentials at all',
  'valid-key-rejected-list-files': 'GET /directory/{dirId} rejects the valid key',
  'valid-key-rejected-process': 'POST /ffmpeg/process rejects the valid key (a key scope the server forgot to grant)',
  'run-not-routed': 'the deprecated POST /ffmpeg/run is no longer routed: 404 to every request, with or without a key',
  'upload-url-relative': "POST /file answers its upload URL as a path, not an absolute URL",
  'schema-break': 'GET /directory answers "directories" as an object',
  'token-case-insensitive': 'the key is compared without regard to letter case',
  'extra-chars-accepted': 'a key with characters appended is accepted (prefix match)',
  // what Basic-auth middleware does (@fastify/basic-auth, express-basic-auth, hono basicAuth, FastAPI HTTPBasic)
  'decode-and-compare':
    "the token is decoded by Node's lenient base64 decoder (it skips characters outside the alphabet and stops at the padding) and the bytes compared, so other strings of the same bytes are accepted: no padding, changed unused bits, base64url, re-encoded, whitespace inside, characters after the padding or outside the alphabet",
  'any-user-pass':
    'any token that decodes to "user:password" is accepted, whatever the user and password: a throwaway pair, another password, and every reshaped form of a user:password key (truncated, unpadded, base64url, ...)',
  'trim-normalise': 'the value is trimmed and the whitespace inside it dropped before the compare, so a tab after "Basic" and spaces or tabs inside the token are accepted',
  'decoded-case-insensitive':
    'the token is decoded as decode-and-compare does and the credentials compared without regard to letter case, so a re-cased user part is accepted, and everything decode-and-compare accepts',
  'decoded-prefix':
    'the token is decoded and only as many bytes as the valid key has are compared, so other base64 forms of the key and the key with characters appended are accepted',
  'lowercase-name-rejected': 'only the exact header name "Authorization" is honoured',
  'html-errors': 'error answers are text/html pages',
  '5xx-on-malformed': 'a tab after "Basic" makes the server fail with 500',
  'echo-credential': 'the 401 body echoes the credential it received',
  // the deployment (suites/deployment.conformance.ts)
  'no-hsts': 'with tls: answers carry no Strict-Transport-Security header',
  'http-served': 'with tls: the plain-http port serves the API instead of redirecting to https',
  'replays-cached': 'a GET answered 200 once is answered the same to anyone after, like a cache keyed on the URL only',
  'proxy-leaks-key': 'with injectKey: answers carry the injected key in an X-Upstream-Authorization header',
  'proxy-forwards-client-auth': "with injectKey: a client's own Authorization header is forwarded instead of replaced",
} as const;
export type Fault = keyof typeof FAULTS;

export interface MockOptions {
  keys?: Partial<MockKeys>;
  /** The spec it serves (default: spec/openapi.yaml), or its contract already loaded. */
  spec?: string;
  contract?: Contract;
  faults?: Fault[];
  /** Added before every answer, to measure the suite's concurrency. */
  latencyMs?: number;
  /** Serve https with this certificate; a plain-http companion port redirects to it (startMock). */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Behave as the API behind a key-injecting backend: the client's Authorization is replaced by the valid key. */
  injectKey?: boolean;
  /**
   * Called once per request received, for the benchmark to count them: with the answer being
   * prepared, or without one for a request Node's HTTP parser refused (answered at once).
   */
  onRequest?: (res?: http.ServerResponse) => void;
  /**
   * Called with an exception the mock's own code threw while answering (the request got a 500):
   * a bug of the mock, never hidden as a 400. Default: one line on stderr (core/secrets.ts err).
   */
  onError?: (error: unknown, req: http.IncomingMessage) => void;
}

const logError = (e: unknown, req: http.IncomingMessage) =>
  err(`mock: internal error answering ${req.method ?? '?'} ${(req.url ?? '/').split('?')[0]}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);

/** A path parameter's value; malformed percent-encoding names no resource. */
const decodeId = (segment: string): string => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return '';
  }
};

/** At most this many answers are remembered under the replays-cached fault. */
const REPLAY_LIMIT = 200;

/** One contract per spec file, loaded once however many mocks serve it. */
const loaded = new Map<string, Promise<Contract>>();
const contractOf = (spec = DEFAULT_SPEC): Promise<Contract> => {
  let c = loaded.get(spec);
  if (!c) loaded.set(spec, (c = loadContract(spec)));
  return c;
};

/** The spec as one JSON document (its own $refs kept), for GET /openapi.json; once per spec file. */
const documents = new Map<string, Promise<unknown>>();
const documentOf = (spec: string): Promise<unknown> => {
  let d = documents.get(spec);
  if (!d) documents.set(spec, (d = import('@apidevtools/swagger-parser').then(({ default: parser }) => parser.bundle(spec))));
  return d;
};

/** A route per operation: its path template as a pattern, by method. */
interface Route {
  pattern: RegExp;
  /** The path parameters, in the order the pattern captures them. */
  names: string[];
  byMethod: Map<string, Operation>;
}

function routesOf(contract: Contract): Route[] {
  const routes = new Map<string, Route>();
  for (const op of contract.operations) {
    const source = `^${op.path.split(/\{[^}]+\}/).map((part) => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')).join('([^/]+)')}$`;
    const names = [...op.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    const route = routes.get(source) ?? { pattern: new RegExp(source), names, byMethod: new Map() };
    route.byMethod.set(op.method, op);
    routes.set(source, route);
  }
  return [...routes.values()];
}

/** A documented answer: the status the spec gives a credential, and the spec's example body. */
function documented(ops: Operation[], role: CredentialRole): [status: number, body: Record<string, unknown>] {
  for (const op of ops) {
    const r = responseFor(op, role);
    if (r) return [Number(r.status), (r.example ?? {}) as Record<string, unknown>];
  }
  throw new Error(`the spec documents no response for credential ${role}`);
}

export function createMockServer(options: MockOptions = {}): http.Server | https.Server {
  const keys: MockKeys = { ...DEFAULT_KEYS };
  for (const [role, value] of Object.entries(options.keys ?? {})) if (value) keys[role as keyof MockKeys] = value;
  const faults = new Set(options.faults ?? []);
  const spec = options.contract ? Promise.resolve(options.contract) : contractOf(options.spec);
  let routes: Route[] = [];
  let all: Operation[] = [];
  let specPath = DEFAULT_SPEC;
  let isReady = false;
  // The spec's security scheme (header, "Basic ") and error envelope, and the valid key's token.
  let header = '';
  let prefix = '';
  let envelope: ErrorEnvelope | undefined;
  let token = '';
  let validBytes = Buffer.alloc(0);
  const ready = spec.then((c) => {
    routes = routesOf(c);
    all = c.operations;
    specPath = c.path;
    ({ header } = c.auth);
    prefix = c.auth.scheme ? `${c.auth.scheme} ` : '';
    envelope = c.errorEnvelope;
    token = keys.valid.startsWith(prefix) ? keys.valid.slice(prefix.length) : keys.valid;
    validBytes = Buffer.from(token, 'base64');
    isReady = true;
  });
  ready.catch(() => {}); // a broken spec: every request is answered 500 (handler)
  const replayable = new Map<string, unknown>(); // fault replays-cached: request target → 200 body

  /** An answer as it goes on the wire: its headers and text. */
  const prepare = (status: number, body: unknown): [headers: Record<string, string | number>, text: string] => {
    const error = status >= 400 && faults.has('html-errors');
    const text = error ? `<html><body><h1>${status}</h1></body></html>` : JSON.stringify(body);
    const headers = {
      'content-type': error ? 'text/html' : 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
      ...(options.tls && !faults.has('no-hsts') && { 'strict-transport-security': 'max-age=31536000' }),
      ...(options.injectKey && faults.has('proxy-leaks-key') && { 'x-upstream-authorization': keys.valid }),
    };
    return [headers, text];
  };
  // The spec's answers are the same objects request after request: each is prepared once (by status).
  const prepared = new WeakMap<object, Map<number, [Record<string, string | number>, string]>>();
  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    let byStatus = typeof body === 'object' && body !== null ? prepared.get(body) : undefined;
    let answer = byStatus?.get(status);
    if (!answer) {
      answer = prepare(status, body);
      if (typeof body === 'object' && body !== null) {
        if (!byStatus) prepared.set(body, (byStatus = new Map()));
        byStatus.set(status, answer);
      }
    }
    const [headers, text] = answer;
    if (options.latencyMs) setTimeout(() => res.writeHead(status, headers).end(text), options.latencyMs);
    else res.writeHead(status, headers).end(text);
  };
  // In the spec's error envelope ({"ok":false,"error":...}); a spec that did not load has none.
  const fail = (res: http.ServerResponse, status: number, error: string) => send(res, status, envelope ? { [envelope.flag]: envelope.value, [envelope.message]: error } : { error });
  /** An exception in the mock's own code: a 500 and a logged error, so that no test mistakes it for a refusal. */
  const internalError = (req: http.IncomingMessage, res: http.ServerResponse, e: unknown) => {
    (options.onError ?? logError)(e, req);
    if (!res.headersSent) fail(res, 500, 'Internal Server Error');
    else res.destroy();
  };

  /** The seeded mistakes of real Basic-auth stacks: decoding before comparing, or comparing loosely. */
  function stackAccepts(value: string): boolean {
    if (faults.has('trim-normalise')) {
      const [scheme, ...token] = value.trim().split(/\s+/);
      if (`${scheme} ${token.join('')}` === keys.valid) return true;
    }
    if (!prefix || !value.startsWith(prefix)) return false;
    const bytes = Buffer.from(value.slice(prefix.length), 'base64'); // skips what is not base64, as Node does
    if (faults.has('decode-and-compare') && bytes.equals(validBytes)) return true;
    if (faults.has('decoded-case-insensitive') && bytes.toString('latin1').toLowerCase() === validBytes.toString('latin1').toLowerCase()) return true;
    if (faults.has('decoded-prefix') && bytes.subarray(0, validBytes.length).equals(validBytes)) return true;
    return faults.has('any-user-pass') && /^[\x21-\x7e][\x20-\x7e]*:[\x20-\x7e]*$/.test(bytes.toString('latin1'));
  }
  /** The spec's answer to a credential, for this operation (or any, for a path the spec does not have). */
  // What the spec documents for each operation (none: a path it does not have) and credential, found once.
  const documentedAnswers = new Map<Operation | undefined, Map<CredentialRole, [number, Record<string, unknown>]>>();
  const documentedFor = (op: Operation | undefined, role: CredentialRole): [number, Record<string, unknown>] => {
    let byRole = documentedAnswers.get(op);
    if (!byRole) documentedAnswers.set(op, (byRole = new Map()));
    let found = byRole.get(role);
    if (!found) byRole.set(role, (found = documented(op ? [op, ...all] : all, role)));
    return found;
  };
  const answer = (res: http.ServerResponse, op: Operation | undefined, role: CredentialRole, extra?: Record<string, unknown>) => {
    const [status, body] = documentedFor(op, role);
    send(res, status, extra ? { ...body, ...extra } : body);
  };
  const capitalizeLastWord = (text: unknown) => String(text).replace(/(\w)(\w*)$/, (_, a: string, b: string) => a.toUpperCase() + b);

  /** Returns true when the request may proceed; otherwise answers it. */
  function authorize(req: http.IncomingMessage, res: http.ServerResponse, query: string, op: Operation | undefined): boolean {
    // Every Authorization field as sent (req.headers keeps only the first); headersDistinct would build all fields' lists.
    const exact = faults.has('lowercase-name-rejected');
    let values: string[] | undefined;
    const raw = req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      if (name.length === header.length && (exact ? name === header : name.toLowerCase() === header.toLowerCase())) (values ??= []).push(raw[i + 1]!);
    }
    // A key-injecting backend drops the client's Authorization and adds its own key.
    if (options.injectKey) values = faults.has('proxy-forwards-client-auth') && values?.length ? values : [keys.valid];
    if (faults.has('query-key-accepted') && [keys.valid, token].includes(new URLSearchParams(query).get('api_key') ?? '')) return true;
    if (!values || values.length === 0) {
      answer(res, op, faults.has('missing-header-401') ? 'wrong' : 'none');
      return false;
    }
    const value = values[0]!;
    if (faults.has('5xx-on-malformed') && prefix && value.startsWith(`${prefix.trim()}\t`)) {
      fail(res, 500, 'Internal Server Error');
      return false;
    }
    const accepted =
      values.length === 1 &&
      (value === keys.valid ||
        (faults.has('bearer-accepted') && value === `Bearer ${token}`) ||
        (faults.has('prefix-optional') && value === token) ||
        (faults.has('token-case-insensitive') && value.toLowerCase() === keys.valid.toLowerCase()) ||
        (faults.has('extra-chars-accepted') && value.startsWith(keys.valid)) ||
        stackAccepts(value));
    if (accepted) return true;
    if (values.length === 1 && value === keys.quota) {
      answer(res, op, faults.has('quota-as-401') ? 'wrong' : 'quota');
      return false;
    }
    if (faults.has('echo-credential')) answer(res, op, 'wrong', { received: value });
    else if (faults.has('wrong-error-text')) answer(res, op, 'wrong', { error: capitalizeLastWord(documented(op ? [op] : all, 'wrong')[1].error) });
    else answer(res, op, 'wrong');
    return false;
  }

  // Per operation, found once: the examples of its path parameters, and its answer to the valid key.
  const examples = new Map<Operation, Array<string | undefined>>();
  const examplesOf = (op: Operation, names: string[]) => {
    let found = examples.get(op);
    if (!found) examples.set(op, (found = names.map((name) => op.parameters.find((x) => x.name === name)?.example)));
    return found;
  };
  const valid = new Map<Operation, [number, Record<string, unknown>]>();
  const validAnswer = (op: Operation): [number, Record<string, unknown>] => {
    let found = valid.get(op);
    if (!found) {
      const r = responseFor(op, 'valid');
      valid.set(op, (found = [Number(r?.status ?? 200), (r?.example ?? {}) as Record<string, unknown>]));
    }
    return found;
  };

  /** Answers a request: the spec's operation for its path and method, its documented answers. */
  function route(req: http.IncomingMessage, res: http.ServerResponse, target: string, query: string): void {
    const replayed = replayable.size && req.method === 'GET' ? replayable.get(req.url ?? '/') : undefined;
    if (replayed) return send(res, 200, replayed);
    const path = target.replace(/\/+$/, '') || '/';
    // Like the provider (public-api-facts.md:25), it publishes its spec, to anyone.
    if (path === '/openapi.json' && req.method === 'GET') {
      req.resume();
      return void documentOf(specPath).then((doc) => send(res, 200, doc), (e: unknown) => internalError(req, res, e));
    }
    let found: Route | undefined;
    let captured: RegExpExecArray | null = null;
    for (const r of routes) if ((captured = r.pattern.exec(path))) {
      found = r;
      break;
    }
    const op = found?.byMethod.get(req.method ?? 'GET');
    req.resume(); // the body is never read: a documented request is answered by its credential alone
    if (faults.has('run-not-routed') && op?.path === '/ffmpeg/run') return fail(res, 404, 'Not found');
    const skipAuth = faults.has('auth-skipped-create-file') && op?.path === '/file';
    if (!skipAuth && !authorize(req, res, query, op ?? found?.byMethod.values().next().value)) return;
    if (!found) return fail(res, 404, 'Not found');
    if (!op) return fail(res, 405, 'Method not allowed');
    if (faults.has('valid-key-rejected-list-files') && op.path === '/directory/{dirId}') return answer(res, op, 'wrong');
    if (faults.has('valid-key-rejected-process') && op.path === '/ffmpeg/process') return answer(res, op, 'wrong');
    // The mock's resources are the spec's examples: another path parameter value gets the documented 404.
    const notFound = op.responses['404'];
    if (notFound && found.names.length) {
      const examples = examplesOf(op, found.names);
      if (found.names.some((_, i) => decodeId(captured![i + 1]!) !== examples[i])) return send(res, 404, notFound.example ?? {});
    }
    const [status, documentedBody] = validAnswer(op);
    let body = documentedBody;
    if (faults.has('schema-break') && Array.isArray(body.directories)) body = { ...body, directories: {} };
    if (faults.has('upload-url-relative') && op.path === '/file') body = { ...body, upload: { ...(body.upload as object), url: '/upload/dir_123/video.mp4' } };
    if (faults.has('replays-cached') && req.method === 'GET' && replayable.size < REPLAY_LIMIT) replayable.set(req.url ?? '/', body);
    send(res, status, body);
  }

  const handler: http.RequestListener = (req, res) => {
    let target: [path: string, query: string];
    try {
      target = splitTarget(req.url ?? '/');
    } catch {
      options.onRequest?.(res);
      return fail(res, 400, 'Bad request target');
    }
    const serve = () => {
      try {
        options.onRequest?.(res);
        route(req, res, target[0], target[1]);
      } catch (e) {
        internalError(req, res, e);
      }
    };
    if (isReady) serve(); // the spec is loaded: no promise per request
    else ready.then(serve, (e: unknown) => internalError(req, res, e));
  };
  const server = options.tls
    ? https.createServer({ ...options.tls, requireHostHeader: false }, handler)
    : http.createServer({ requireHostHeader: false }, handler);
  // Requests Node's HTTP parser refuses (control characters, obs-fold, oversize headers) still
  // get a JSON answer below 500, as a careful server would give.
  server.on('clientError', (e: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    options.onRequest?.();
    const tooLarge = e.code === 'HPE_HEADER_OVERFLOW';
    const body = JSON.stringify({ ok: false, error: tooLarge ? 'Request header fields too large' : 'Bad request' });
    socket.end(
      `HTTP/1.1 ${tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  return server;
}

/** Plain origin-form targets (the common case) are split by hand: new URL() cost a fifth of the mock's time per request. */
const PLAIN_TARGET = /^\/(?!\/)[\w%/-]*(\?[!-"$-~]*)?$/; // printable ASCII, no fragment, no dot segments

function splitTarget(target: string): [path: string, query: string] {
  if (!PLAIN_TARGET.test(target)) {
    const url = new URL(target, 'http://mock.invalid');
    return [url.pathname, url.search.slice(1)];
  }
  const q = target.indexOf('?');
  return q < 0 ? [target, ''] : [target.slice(0, q), target.slice(q + 1)];
}

export interface RunningMock {
  url: string;
  /** With tls: the plain-http companion (redirects to https; serves the API under fault http-served). */
  plainUrl?: string;
  close(): Promise<void>;
}

async function listen(server: http.Server | https.Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const shown = host !== '0.0.0.0' ? host : '127.0.0.1';
  return `${shown.includes(':') ? `[${shown}]` : shown}:${(server.address() as AddressInfo).port}`;
}

const closeServer = (server: http.Server | https.Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

export async function startMock(options: MockOptions & { port?: number; host?: string } = {}): Promise<RunningMock> {
  const host = options.host ?? '127.0.0.1';
  // The spec is loaded before the port opens: the first request is answered like every other.
  const server = createMockServer({ ...options, contract: options.contract ?? (await contractOf(options.spec)) });
  const url = `${options.tls ? 'https' : 'http'}://${await listen(server, options.port ?? 0, host)}`;
  if (!options.tls) return { url, close: () => closeServer(server) };
  const [api] = server.listeners('request') as http.RequestListener[];
  const plain = http.createServer((req, res) =>
    options.faults?.includes('http-served') ? api!(req, res) : res.writeHead(308, { location: `${url}${req.url ?? '/'}` }).end(),
  );
  const plainUrl = `http://${await listen(plain, 0, host)}`;
  return { url, plainUrl, close: async () => void (await Promise.all([closeServer(server), closeServer(plain)])) };
}
