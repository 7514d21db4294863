// Issue 13: nothing a run writes carries the key in any encoding, and what a target sends is made
// safe where it is shown. Real runs of the CLI against the bundled mock and loopback targets.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { send } from '../core/http/transport.js';
import { addSecret, clearSecrets, decodeEscapes, registeredSecrets } from '../core/secrets.js';
import type { Check } from '../suites/catalog.js';
import { JUDGES } from '../suites/judges.js';
import { keyParts } from '../suites/keyforms.js';
import { cleanEnv, listenLocal, MOCK_ENV, runCli } from './helpers.js';
import type { Answer, JudgeContext } from '../suites/judge-types.js';

/** Every file under a directory, with its content. */
function filesUnder(dir: string): Array<[string, string]> {
  return readdirSync(dir).flatMap((name): Array<[string, string]> => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [[path, readFileSync(path, 'utf8')]];
  });
}

/** The 12-character windows of a string, in lower case: any of them in an output is a trace of it. */
const windows = (s: string) => Array.from({ length: s.length - 11 }, (_, i) => s.slice(i, i + 12).toLowerCase());

describe('the key leaves no trace in any file of the report directory', () => {
  // A token with a `+` or `/` at least every 11 characters: its percent-encoded form once escaped redaction whole.
  const KEY = 'Basic UUokwMs+OI8kF1t/wTKhzEp+9L0lIm1/i3sbyx4+1y3=';
  const TOKEN = KEY.slice('Basic '.length);

  test('a +/= key through the bundled mock (issue 13, case 2)', async () => {
    const run = await runCli([], cleanEnv({ FFMPEG_API_KEY: KEY }));
    expect(run.code, run.stderr).toBe(0);
    const files = filesUnder(run.dir);
    expect(files.map(([p]) => p.slice(run.dir.length))).toEqual(expect.arrayContaining(['/report.json', '/report.md', '/report.html']));
    const traces = [...windows(TOKEN), ...windows(encodeURIComponent(TOKEN))];
    const outputs: Array<[string, string]> = [...files, ['stdout', run.stdout], ['stderr', run.stderr]];
    for (const [path, content] of outputs) {
      const plain = decodeEscapes(decodeEscapes(content)).toLowerCase();
      const lower = content.toLowerCase();
      expect(traces.filter((t) => plain.includes(t) || lower.includes(t)), path).toEqual([]);
    }
    // the placement probes did send it percent-encoded: redaction, not absence, keeps it out
    expect(readFileSync(join(run.dir, 'report.json'), 'utf8')).toContain('[REDACTED:FFMPEG_API_KEY]');
  });
});

/** A target that answers every request with the Authorization it got, in `encode`d form, inside its body. */
async function echoing(encode: (auth: string) => string, head: Record<string, string> = {}, pack: (body: string) => Uint8Array | string = (b) => b) {
  const server = http.createServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    const ok = auth === MOCK_ENV.FFMPEG_API_KEY;
    const body = `{"ok":${ok},${ok ? '"directories":[]' : '"error":"Invalid API key"'},"seen":"${encode(auth)}"}`;
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json', ...head }).end(pack(body));
  });
  servers.push(server);
  return listenLocal(server);
}
const servers: http.Server[] = [];
afterAll(() => servers.forEach((s) => (s.closeAllConnections(), s.close())));

const each = (s: string, f: (c: string) => string) => [...s].map(f).join('');
const hex = (c: string) => c.charCodeAt(0).toString(16).padStart(2, '0');

const ENCODED_ECHOES = [
  { name: 'JSON \\u escapes of every character', target: () => echoing((a) => each(a, (c) => `\\u00${hex(c)}`)), says: /found it in the body/ },
  { name: 'HTML character references', target: () => echoing((a) => each(a, (c) => `&#${c.charCodeAt(0)};`)), says: /found it in the body/ },
  { name: 'percent-encoding of every character', target: () => echoing((a) => each(a, (c) => `%${hex(c)}`)), says: /found it in the body/ },
  { name: 'base64 of the whole header value', target: () => echoing((a) => Buffer.from(a).toString('base64')), says: /found it in the body/ },
  { name: 'a gzip body', target: () => echoing((a) => a, { 'content-encoding': 'gzip' }, (b) => zlib.gzipSync(b)), says: /found it in the body/ },
  { name: 'a deflate body', target: () => echoing((a) => a, { 'content-encoding': 'deflate' }, (b) => zlib.deflateSync(b)), says: /found it in the body/ },
  { name: 'a br body', target: () => echoing((a) => a, { 'content-encoding': 'br' }, (b) => zlib.brotliCompressSync(b)), says: /found it in the body/ },
  { name: 'past the read cap', target: () => echoing((a) => `${' '.repeat(300 * 1024)}${a}`), says: /cannot be shown free of the credential/ },
  { name: 'a Content-Encoding the suite does not decode', target: () => echoing((a) => a, { 'content-encoding': 'zstd' }, (b) => Buffer.from(b).map((x) => x ^ 0x5a)), says: /zstd is not one the suite decodes/ },
];

describe('an echo in any encoding fails the echo judge (issue 13, cases 3 and 4)', () => {
  afterEach(() => clearSecrets());
  test.for(ENCODED_ECHOES)('$name', async ({ target, says }) => {
    addSecret('FFMPEG_API_KEY', MOCK_ENV.FFMPEG_API_KEY);
    const url = new URL(`${await target()}/directory`);
    const response = await send({ method: 'GET', url, headers: [['Authorization', MOCK_ENV.FFMPEG_API_KEY]] }, { timeoutMs: 5_000, maxBodyBytes: 256 * 1024, insecure: false });
    const answer = { probe: { key: 'auth.valid' }, exchange: { request: { method: 'GET', url, headers: [] }, response, sent: keyParts(MOCK_ENV.FFMPEG_API_KEY) } } as unknown as Answer;
    const judged = JUDGES['no-echo'].judge({} as Check, [answer], { secrets: registeredSecrets() } as JudgeContext);
    expect(judged.verdict).toBe('fail');
    expect(judged.findings[0]?.message).toMatch(says);
  });
});

test('a JSON-escaped echo fails security.no-credential-echo in a run and is not stored (issue 13, case 3)', async () => {
  const target = await ENCODED_ECHOES[0]!.target();
  const run = await runCli(['--target', target, '--timeout', '10'], cleanEnv(MOCK_ENV), { timeoutMs: 45_000 });
  expect(run.stderr, `${run.code} ${run.stdout} ${run.stderr}`).not.toMatch(/internal error|\n\s+at /);
  expect(run.code, `${run.stdout} ${run.stderr}`).toBe(1);
  const check = run.report().checks.find((c) => c.id === 'security.no-credential-echo');
  expect(check?.verdict, JSON.stringify(check)).toBe('fail');
  const traces = Object.values(MOCK_ENV).flatMap((k) => windows(k.slice('Basic '.length)));
  for (const [path, content] of filesUnder(run.dir)) {
    const plain = decodeEscapes(decodeEscapes(content)).toLowerCase();
    expect(traces.filter((t) => plain.includes(t)), path).toEqual([]);
  }
});

describe('what a target sends is made safe where it is shown (issue 13, cases 6 and 7)', () => {
  // Terminal escapes (set the window title, clear the screen) after a 250 KB error text, on every answer.
  const HOSTILE_TEXT = `\u001b]0;PWNED\u0007\u001b[2J\u202e${'E'.repeat(250_000)}`;

  test('250 KB error texts with terminal escapes: report.md under 1 MiB, every file and the console free of control characters', async () => {
    const server = http.createServer((req, res) => {
      const ok = req.headers.authorization === MOCK_ENV.FFMPEG_API_KEY;
      // a different text per request, so that no two outcomes are alike
      const body = ok ? { ok: true, directories: [{ id: HOSTILE_TEXT }], error: HOSTILE_TEXT } : { ok: false, error: `${HOSTILE_TEXT}${req.url}` };
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json', 'x-hostile': 'H'.repeat(4000) }).end(JSON.stringify(body));
    });
    servers.push(server);
    const run = await runCli(['--target', await listenLocal(server), '--timeout', '10'], cleanEnv(MOCK_ENV), { timeoutMs: 45_000 });
    expect(run.code, `${run.stdout} ${run.stderr}`).toBe(1);
    const files = filesUnder(run.dir);
    const sizes = Object.fromEntries(files.map(([p, c]) => [p.slice(run.dir.length + 1), Buffer.byteLength(c)]));
    expect(sizes['report.md']).toBeLessThan(1024 * 1024);
    expect(sizes['report.json']).toBeLessThan(8 * 1024 * 1024);
    const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
    for (const [path, content] of [...files, ['stdout', run.stdout], ['stderr', run.stderr]] as Array<[string, string]>) expect(CONTROL.exec(content)?.[0], path).toBeUndefined();
    // escaped, not dropped: the report still shows what was sent
    expect(readFileSync(join(run.dir, 'report.md'), 'utf8')).toContain('\\u001b]0;PWNED');
  });
});
