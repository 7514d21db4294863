// Redaction: a planted key is removed in every form a report or log could carry it.
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { addSecret, clearSecrets, redact, redactDeep } from '../src/secrets.js';

const TOKEN = Buffer.from('planted-secret-4c8e1f0b9a7d').toString('base64'); // cGxhbnRlZC1zZWNyZXQtNGM4ZTFmMGI5YTdk
const KEY = `Basic ${TOKEN}`;

describe('redact', () => {
  beforeEach(() => addSecret('FFMPEG_API_KEY', KEY));
  afterEach(() => clearSecrets());

  test.for([
    ['the whole header value', `Authorization: ${KEY}`],
    ['the token alone', `token=${TOKEN}`],
    ['the decoded key', 'user planted-secret-4c8e1f0b9a7d said'],
    ['the token truncated', `Basic ${TOKEN.slice(0, -4)}`],
    ['the token extended', `Basic ${TOKEN}xyz`],
    ['the token in swapped case', `Basic ${TOKEN.toLowerCase()}`],
    ['the token split by a control character', `Basic ${TOKEN.slice(0, 8)}\r\n${TOKEN.slice(8)}`],
    ['the value percent-encoded', `?authorization=${encodeURIComponent(KEY)}`],
    ['the value inside JSON', JSON.stringify({ received: KEY })],
  ] as const)('removes %s', ([, text]) => {
    const out = redact(text);
    expect(out).toContain('[REDACTED:FFMPEG_API_KEY]');
    expect(out).not.toContain(TOKEN.slice(0, 8));
    expect(out).not.toContain(TOKEN.slice(8, 16));
    expect(out).not.toContain('planted-secret');
  });

  test('leaves words that merely occur in a decoded key alone', () => {
    clearSecrets();
    addSecret('FFMPEG_API_QUOTA_EXCEEDED_KEY', `Basic ${Buffer.from('quota_exceeded_key_0123456789').toString('base64')}`);
    expect(redact('403 Quota exceeded; the quota key was revoked')).toBe('403 Quota exceeded; the quota key was revoked');
    expect(redact('leaked: quota_exceeded_key_0123456789')).toBe('leaked: [REDACTED:FFMPEG_API_QUOTA_EXCEEDED_KEY]');
    // the variable's own name shares 12 characters with the decoded key, in another case
    expect(redact('set FFMPEG_API_QUOTA_EXCEEDED_KEY')).toBe('set FFMPEG_API_QUOTA_EXCEEDED_KEY');
  });

  test('leaves ordinary text alone and is idempotent', () => {
    const text = '401 {"ok":false,"error":"Invalid API key"} GET /directory';
    expect(redact(text)).toBe(text);
    const once = redact(`a ${KEY} b`);
    expect(redact(once)).toBe(once);
  });

  test('redactDeep keeps JSON structure and escapes intact', () => {
    const value = { headers: [`Authorization: Basic ${TOKEN.slice(0, 8)}\u0000${TOKEN.slice(8)}`], n: 1, ok: true };
    const out = redactDeep(value);
    expect(out.n).toBe(1);
    expect(JSON.stringify(out)).not.toContain(TOKEN.slice(0, 8));
    expect(out.headers[0]).toContain('\u0000');
  });
});
