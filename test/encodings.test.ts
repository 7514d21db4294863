// Issue 20: the key is found, redacted and reported as an echo whatever its alignment or spelling:
// base64 and base64url at any offset or line-wrapped, hex with any separator, UTF-16, zero-width
// characters between its letters, the decoded form in another case or cut into short pieces; and
// wherever an answer carries it (1xx interim answers, trailers, reason text, chunk extensions).
import http from 'node:http';
import net from 'node:net';
import { afterAll, afterEach, beforeEach, describe, expect, test } from 'vitest';
import { send } from '../core/http/transport.js';
import { addSecret, clearSecrets, decodeEscapes, redact, redactSpread, registeredSecrets, secretForms, spreadOver } from '../core/secrets.js';
import type { Check } from '../suites/catalog.js';
import { JUDGES } from '../suites/judges.js';
import { keyParts } from '../suites/keyforms.js';
import { cleanEnv, listenLocal, MOCK_ENV, runCli } from './helpers.js';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Answer, JudgeContext } from '../suites/judge-types.js';

const DECODED = 'planted-user:secret-4c8e1f0b9a7d';
const TOKEN = Buffer.from(DECODED).toString('base64');
const KEY = `Basic ${TOKEN}`;

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
const b64url = (s: string | Buffer) => Buffer.from(s).toString('base64url');
const hexBytes = (s: string, sep: string, upper = false) => [...Buffer.from(s)].map((b) => b.toString(16).padStart(2, '0')[upper ? 'toUpperCase' : 'toLowerCase']()).join(sep);
const wrap = (s: string, width: number) => s.match(new RegExp(`.{1,${width}}`, 'g'))!.join('\r\n');

/**
 * Whether a text holds a key in any form that decodes to it: read with its escapes undone, its
 * ignorable characters and line breaks removed, every base64/base64url run decoded at each of its
 * four character offsets, every hex run decoded (any separator) as bytes and as UTF-16; a 12-byte
 * window of the value or the token, or a 20-character window of the decoded form or its whole password
 * (any case), in any of these is a trace.
 */
export function decodesTo(text: string, keys: string[]): string[] {
  const windows = (f: string, n = 12) => Array.from({ length: Math.max(0, f.length - n + 1) }, (_, i) => f.slice(i, i + n));
  const wide = (f: string) => windows(f, 20); // the decoded form in any case: 20 characters (a variable name holds 18 of the quota key's)
  const parts = keys.map((key) => {
    const token = key.replace(/^\S+\s+/, '');
    const decoded = Buffer.from(token, 'base64').toString('latin1').toLowerCase();
    const password = decoded.slice(decoded.indexOf(':') + 1);
    return { exact: [...windows(key), ...windows(token)], decoded: [...wide(decoded), ...(password.length >= 8 ? [password] : [])] };
  });
  const exact = parts.flatMap((p) => p.exact);
  const decoded = parts.flatMap((p) => p.decoded);
  const plain = new Set<string>();
  const bytes = new Set<string>(); // read from base64 or hex: a re-cased key decodes to other bytes, so its case counts
  for (const base of [text, decodeEscapes(text), decodeEscapes(decodeEscapes(text))]) {
    const stripped = base.replace(/[\0\p{Cf}]/gu, '');
    for (const r of [base, stripped, stripped.replace(/\r?\n|\\r\\n|\\n/g, '')]) {
      plain.add(r);
      for (const run of r.match(/[A-Za-z0-9+/_-]{16,}/g) ?? [])
        for (let o = 0; o < 4; o++) bytes.add(Buffer.from(run.slice(o).replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('latin1').replace(/\0/g, ''));
      for (const run of r.match(/(?:[0-9A-Fa-f]{2}(?:\\x|0x|[^0-9A-Za-z]){0,4}){8,}/g) ?? []) {
        const digits = run.replace(/0x|\\x/g, '').replace(/[^0-9A-Fa-f]/g, '');
        for (const d of [digits, digits.slice(1)]) bytes.add(Buffer.from(d, 'hex').toString('latin1').replace(/\0/g, ''));
      }
    }
  }
  const lowerPlain = [...plain].map((r) => r.toLowerCase());
  const lowerBytes = [...bytes].map((r) => r.toLowerCase());
  const found = [
    ...exact.filter((w) => lowerPlain.some((r) => r.includes(w.toLowerCase())) || [...bytes].some((r) => r.includes(w))),
    ...decoded.filter((w) => lowerPlain.some((r) => r.includes(w)) || lowerBytes.some((r) => r.includes(w))),
  ];
  return [...new Set(found)];
}

const FORMS: Array<[string, string]> = [
  ...[0, 1, 2].flatMap((n): Array<[string, string]> => [
    [`base64 of the value after ${n} bytes`, `session=${b64('x'.repeat(n) + KEY + '"}')}`],
    [`base64 of the decoded form after ${n} bytes`, `c=${b64('ab'.slice(0, n) + `auth=${DECODED};`)}`],
    [`base64url of the value after ${n} bytes (a JWT-style cookie)`, `jwt=eyJhbGciOiJub25lIn0.${b64url('{"a":"'.slice(0, 4 + n) + KEY + '"}')}.`],
  ]),
  ['MIME-wrapped base64 (76 columns)', `x-mime: ${wrap(b64(`Authorization: ${KEY}\n`.repeat(2)), 76)}`],
  ['base64 wrapped every 8 characters', wrap(b64(`pre ${KEY} post`), 8)],
  ['base64 wrapped with escaped line breaks', wrap(b64(`pre ${KEY} post`), 10).replace(/\r\n/g, '\\n')],
  ['byte-spaced hex', hexBytes(KEY, ' ')],
  ['upper-case hex with colons', hexBytes(DECODED, ':', true)],
  ['0x-prefixed hex with commas', [...Buffer.from(KEY)].map((b) => `0x${b.toString(16)}`).join(', ')],
  ['\\x escapes', [...Buffer.from(TOKEN)].map((b) => `\\x${b.toString(16)}`).join('')],
  ['hex of UTF-16', hexBytes(Buffer.from(KEY, 'utf16le').toString('latin1'), ' ')],
  ['a UTF-16LE body read as UTF-8', Buffer.from(`{"seen":"${KEY}"}`, 'utf16le').toString('utf8')],
  ['a UTF-16BE body read as UTF-8', Buffer.from(`{"seen":"${KEY}"}`, 'utf16le').swap16().toString('utf8')],
  ['zero-width spaces between letters', [...KEY].join('\u200b')],
  ['soft hyphens and word joiners', [...TOKEN].join('\u00ad\u2060')],
  ['zero-width characters as JSON escapes', [...TOKEN].join('\\u200b')],
  ['the decoded form upper-cased', `user ${DECODED.toUpperCase()} said`],
  ['the password in swapped case', `pw ${DECODED.split(':')[1]!.toUpperCase()}`],
];

describe('redaction finds the key in every encoding, at every offset (issue 20)', () => {
  beforeEach(() => addSecret('FFMPEG_API_KEY', KEY));
  afterEach(() => clearSecrets());

  test('the oracle sees each planted form (so the test can fail)', () => {
    for (const [name, text] of FORMS) expect(decodesTo(text, [KEY]).length, name).toBeGreaterThan(0);
  });

  test.for(FORMS)('%s: redacted, and named by secretForms', ([, text]) => {
    const out = redact(text);
    expect(out).toContain('[REDACTED:FFMPEG_API_KEY]');
    expect(decodesTo(out, [KEY])).toEqual([]);
    expect(secretForms(text).length).toBeGreaterThan(0);
    expect(redact(out)).toBe(out); // idempotent
  });

  test('names the form it found', () => {
    expect(secretForms(`x ${b64('xy' + KEY)} y`)).toContain('base64');
    expect(secretForms(hexBytes(KEY, ' '))).toContain('hex with separators');
    expect(secretForms([...KEY].join('\u200b'))).toContain('with zero-width or NUL characters between its letters');
    expect(secretForms(DECODED.toUpperCase())).toContain('decoded');
  });

  test('ordinary text, dates, hex ids and wrapped prose are left alone', () => {
    const text = '2026-12-08 04:16:59 id 0a 1b 2c 3d 4e 5f 60 71 82\nGET /directory\r\nHTTP/1.1 401 Unauthorized\u200b ok';
    expect(redact(text)).toBe(text);
  });

  test('short pieces of the decoded form over several header values', () => {
    const pieces = DECODED.match(/.{1,5}/g)!;
    const headers: Record<string, string> = { 'content-type': 'application/json', ...Object.fromEntries(pieces.map((p, i) => [`x-p${i}`, p])), server: 'demo' };
    for (const v of Object.values(headers)) expect(redact(v)).toBe(v); // each alone is too short to find
    const spread = spreadOver(Object.values(headers));
    expect([...spread.keys()]).toEqual(pieces.map((_, i) => i + 1));
    const clean = redactSpread(headers);
    expect(clean['content-type']).toBe('application/json');
    expect(clean.server).toBe('demo');
    expect(decodesTo(Object.values(clean).join(''), [KEY])).toEqual([]);
  });
});

// --- at loopback servers ---------------------------------------------------------------------

const servers: Array<http.Server | net.Server> = [];
afterAll(() => servers.forEach((s) => ('closeAllConnections' in s && s.closeAllConnections(), s.close())));

/** A server writing its answer by hand, with the Authorization it got put where `answer` says. */
async function rawServer(answer: (auth: string) => string): Promise<string> {
  const server = net.createServer((socket) => {
    let got = '';
    socket.on('data', (d) => {
      got += d.toString('latin1');
      if (!got.includes('\r\n\r\n')) return;
      const auth = /\r\nauthorization: *([^\r\n]*)/i.exec(got)?.[1] ?? '';
      socket.end(answer(auth), 'latin1');
    });
    socket.on('error', () => {});
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

const JSON_HEAD = 'content-type: application/json\r\nconnection: close\r\n';
const OK_BODY = '{"ok":true,"directories":[]}';
const plain = (head: string, body = OK_BODY) => `HTTP/1.1 200 OK\r\n${JSON_HEAD}${head}content-length: ${body.length}\r\n\r\n${body}`;
const chunked = (sizeLine: string, trailer = '') => `HTTP/1.1 200 OK\r\n${JSON_HEAD}transfer-encoding: chunked\r\n${trailer ? 'trailer: x-echo\r\n' : ''}\r\n${sizeLine}\r\n${OK_BODY}\r\n0\r\n${trailer}\r\n`;

const PLACES: Array<{ name: string; answer: (auth: string) => string; says: RegExp }> = [
  { name: '103 Early Hints Link', answer: (a) => `HTTP/1.1 103 Early Hints\r\nlink: </s.css?k=${b64('x' + a)}>; rel=preload\r\n\r\n${plain('')}`, says: /the interim 103 answer's header link \(base64\)/ },
  { name: 'a trailer', answer: (a) => chunked(OK_BODY.length.toString(16), `x-echo: ${hexBytes(a, ' ')}\r\n`), says: /trailer x-echo \(hex with separators\)/ },
  { name: 'the reason text', answer: (a) => plain('').replace('200 OK', `200 OK ${a}`), says: /the status line's reason text \(as sent\)/ },
  { name: 'a chunk extension', answer: (a) => chunked(`${OK_BODY.length.toString(16)};sig=${b64url('xy' + a)}`), says: /a chunk extension \(base64\)/ },
  { name: 'the decoded form split over headers', answer: (a) => plain(Buffer.from(a.slice(6), 'base64').toString('latin1').match(/.{1,4}/g)!.map((p, i) => `x-p${i}: ${p}\r\n`).join('')), says: /headers x-p0, x-p1.* \(short pieces spread over several headers\)/ },
  { name: 'a UTF-16 body', answer: (a) => plain('', Buffer.from(`{"ok":true,"directories":[],"k":"${a}"}`, 'utf16le').toString('latin1')), says: /the body \(with zero-width or NUL characters between its letters\)/ },
  { name: 'zero-width characters in a header', answer: (a) => plain(`x-echo: ${[...a].map((c) => c + '\u00e2\u0080\u008b').join('')}\r\n`), says: /header x-echo/ },
];

describe('the echo check reads every place an answer can carry the key, and names it (issue 20)', () => {
  afterEach(() => clearSecrets());
  test.for(PLACES)('$name: raw-socket and undici paths', async ({ answer, says }) => {
    addSecret('FFMPEG_API_KEY', KEY);
    const url = new URL(`${await rawServer(answer)}/directory`);
    for (const raw of [true, false]) {
      if (!raw && /chunk extension/.test(says.source)) continue; // undici drops chunk extensions unread (see README)
      const response = await send({ method: 'GET', url, headers: [['Authorization', KEY]], raw }, { timeoutMs: 5_000, maxBodyBytes: 256 * 1024, insecure: false });
      const a = { probe: { key: 'auth.valid' }, exchange: { request: { method: 'GET', url, headers: [] }, response, sent: keyParts(KEY) } } as unknown as Answer;
      const judged = JUDGES['no-echo'].judge({} as Check, [a], { secrets: registeredSecrets() } as JudgeContext);
      expect(judged.verdict, `raw ${raw}`).toBe('fail');
      expect(judged.findings[0]?.message, `raw ${raw}`).toMatch(says);
    }
  });
});

/** Where a trace sits (for a failure's message): the first reading's neighbourhood is enough to find it. */
const traceAround = (content: string, trace: string) => {
  const at = content.toLowerCase().indexOf(trace);
  return at < 0 ? '(decoded)' : JSON.stringify(content.slice(Math.max(0, at - 60), at + 60));
};

/** Every file under a directory, with its content. */
function filesUnder(dir: string): Array<[string, string]> {
  return readdirSync(dir).flatMap((name): Array<[string, string]> => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [[path, readFileSync(path, 'utf8')]];
  });
}

test('a run against a target echoing the key in every form: the echo check fails, and no output decodes to the key', { timeout: 60_000 }, async () => {
  const server = http.createServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    const ok = auth === MOCK_ENV.FFMPEG_API_KEY;
    const decoded = Buffer.from(auth.slice(6), 'base64').toString('latin1');
    const forms = [b64('x' + auth), b64url('xy' + auth), hexBytes(auth, ' ', true), [...auth].join('\u200b'), decoded.toUpperCase()];
    const body = JSON.stringify(ok ? { ok: true, directories: [], seen: forms } : { ok: false, error: 'Invalid API key', seen: forms });
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json', 'x-session': wrap(b64(`{"auth":"${auth}"}`), 20).replace(/\r\n/g, ' '), 'x-utf16': Buffer.from(auth, 'utf16le').toString('latin1').replace(/\0/g, '\u00a0') });
    res.end(Buffer.concat([Buffer.from(body), Buffer.from(auth, 'utf16le')]));
  });
  servers.push(server);
  const run = await runCli(['--target', await listenLocal(server), '--timeout', '10'], cleanEnv(MOCK_ENV), { timeoutMs: 50_000 });
  expect(run.stderr, `${run.code} ${run.stdout} ${run.stderr}`).not.toMatch(/internal error|\n\s+at /);
  expect(run.code, `${run.stdout} ${run.stderr}`).toBe(1);
  const echo = run.report().checks.find((c) => c.id === 'security.no-credential-echo');
  expect(echo?.verdict).toBe('fail');
  expect(echo?.message).toMatch(/the body \(.*base64/);
  const keys = Object.values(MOCK_ENV);
  const outputs = [...filesUnder(run.dir), ['stdout', run.stdout], ['stderr', run.stderr]] as Array<[string, string]>;
  const traces = outputs.flatMap(([path, content]) => decodesTo(content, keys).map((t) => `${path.slice(run.dir.length)}: ${t} in …${traceAround(content, t)}…`));
  expect(traces).toEqual([]);
});
