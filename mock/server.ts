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
import { FAULT_EFFECTS, type Fault, type FaultEffect, type FaultKeys } from './faults.js';

/** The guide's example header value (authentication-guide.txt:6, :36). */
const GUIDE_EXAMPLE_KEY = 'Basic dGVzdF91c2VyX2tleV9hYmNkZWZnaGlqa2xtbm9w';

export const DEFAULT_KEYS = {
  valid: GUIDE_EXAMPLE_KEY,
  quota: 'Basic cXVvdGFfZXhjZWVkZWRfa2V5XzAxMjM0NTY3ODk=', // "quota_exceeded_key_0123456789"
  revoked: 'Basic cmV2b2tlZF9rZXlfYWJjZGVmZ2hpamtsbW5vcHE=', // "revoked_key_abcdefghijklmnopq"
} as const;

export type MockKeys = { valid: string; quota: string; revoked: string };

export { FAULTS, type Fault } from './faults.js';

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
  // The seeded faults (mock/faults.ts), gathered once by what they change.
  const active: FaultEffect[] = [...new Set(options.faults ?? [])].map((f) => FAULT_EFFECTS[f]);
  const effect = <K extends keyof FaultEffect>(k: K): Array<NonNullable<FaultEffect[K]>> => active.flatMap((f) => (f[k] === undefined ? [] : [f[k]!]));
  const [accepts, acceptsQuery, crashesOn, refusals, rewrites, unrouted, skipsAuth, rejectsValid, headerChanges] = [
    effect('accepts'), effect('acceptsQuery'), effect('crashesOn'), effect('refusal'), effect('rewrite'), effect('unrouted'), effect('skipsAuth'), effect('rejectsValid'), effect('headers'),
  ];
  const has = (k: 'exactHeaderName' | 'htmlErrors' | 'forwardsClientAuth' | 'replays') => active.some((f) => f[k]);
  const [missingAs, quotaAs] = [effect('missingAs')[0] ?? 'none', effect('quotaAs')[0] ?? 'quota'];
  const token = keys.valid.slice('Basic '.length);
  const faultKeys: FaultKeys = { valid: keys.valid, token, validBytes: Buffer.from(token, 'base64') };
  const spec = options.contract ? Promise.resolve(options.contract) : contractOf(options.spec);
  let routes: Route[] = [];
  let all: Operation[] = [];
  let specPath = DEFAULT_SPEC;
  let isReady = false;
  // The spec's security scheme (header, "Basic ") and error envelope.
  let header = '';
  let envelope: ErrorEnvelope | undefined;
  const ready = spec.then((c) => {
    routes = routesOf(c);
    all = c.operations;
    specPath = c.path;
    ({ header } = c.auth);
    envelope = c.errorEnvelope;
    isReady = true;
  });
  ready.catch(() => {}); // a broken spec: every request is answered 500 (handler)
  const replayable = new Map<string, unknown>(); // fault replays-cached: request target → 200 body

  /** An answer as it goes on the wire: its headers and text. */
  const prepare = (status: number, body: unknown): [headers: Record<string, string | number>, text: string] => {
    const error = status >= 400 && has('htmlErrors');
    const text = error ? `<html><body><h1>${status}</h1></body></html>` : JSON.stringify(body);
    const headers: Record<string, string | number> = {
      'content-type': error ? 'text/html' : 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
      ...(options.tls && { 'strict-transport-security': 'max-age=31536000' }),
    };
    const serving = { tls: Boolean(options.tls), injectKey: Boolean(options.injectKey), keys: faultKeys };
    return [headerChanges.reduce((h, change) => change(h, serving), headers), text];
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

  /** Returns true when the request may proceed; otherwise answers it. */
  function authorize(req: http.IncomingMessage, res: http.ServerResponse, query: string, op: Operation | undefined): boolean {
    // Every Authorization field as sent (req.headers keeps only the first); headersDistinct would build all fields' lists.
    const exact = has('exactHeaderName');
    let values: string[] | undefined;
    const raw = req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      if (name.length === header.length && (exact ? name === header : name.toLowerCase() === header.toLowerCase())) (values ??= []).push(raw[i + 1]!);
    }
    // A key-injecting backend drops the client's Authorization and adds its own key.
    if (options.injectKey) values = has('forwardsClientAuth') && values?.length ? values : [keys.valid];
    if (acceptsQuery.length && acceptsQuery.some((a) => a(new URLSearchParams(query), faultKeys))) return true;
    if (!values || values.length === 0) {
      answer(res, op, missingAs);
      return false;
    }
    const value = values[0]!;
    if (crashesOn.some((crashes) => crashes(value))) {
      fail(res, 500, 'Internal Server Error');
      return false;
    }
    const accepted =
      values.length === 1 &&
      (value === keys.valid || accepts.some((a) => a(value, faultKeys)));
    if (accepted) return true;
    if (values.length === 1 && value === keys.quota) {
      answer(res, op, quotaAs);
      return false;
    }
    if (!refusals.length) answer(res, op, 'wrong');
    else {
      const error = () => documented(op ? [op] : all, 'wrong')[1].error;
      answer(res, op, 'wrong', Object.assign({}, ...refusals.map((r) => r(value, error))) as Record<string, unknown>);
    }
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
    if (op && unrouted.some((u) => u(op))) return fail(res, 404, 'Not found');
    const skipAuth = op !== undefined && skipsAuth.some((skips) => skips(op));
    if (!skipAuth && !authorize(req, res, query, op ?? found?.byMethod.values().next().value)) return;
    if (!found) return fail(res, 404, 'Not found');
    if (!op) return fail(res, 405, 'Method not allowed');
    if (rejectsValid.some((rejects) => rejects(op))) return answer(res, op, 'wrong');
    // The mock's resources are the spec's examples: another path parameter value gets the documented 404.
    const notFound = op.responses['404'];
    if (notFound && found.names.length) {
      const examples = examplesOf(op, found.names);
      if (found.names.some((_, i) => decodeId(captured![i + 1]!) !== examples[i])) return send(res, 404, notFound.example ?? {});
    }
    const [status, documentedBody] = validAnswer(op);
    const body = rewrites.reduce((b, rewrite) => rewrite(b, op), documentedBody);
    if (has('replays') && req.method === 'GET' && replayable.size < REPLAY_LIMIT) replayable.set(req.url ?? '/', body);
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
    options.faults?.some((f) => FAULT_EFFECTS[f].servesPlainHttp) ? api!(req, res) : res.writeHead(308, { location: `${url}${req.url ?? '/'}` }).end(),
  );
  const plainUrl = `http://${await listen(plain, 0, host)}`;
  return { url, plainUrl, close: async () => void (await Promise.all([closeServer(server), closeServer(plain)])) };
}
