// Synthetic reports for the view tests: every verdict, and a target that answers with markup.
import { buildReport, type Report } from '../reporters/model.js';
import type { CheckResult, Verdict } from '../core/results.js';

const HOSTILE = '</code></pre></details><script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"> | `x` ]]> **bold** [link](http://evil.example) <!--';

export function check(id: string, verdict: Verdict, extra: Partial<CheckResult> = {}): CheckResult {
  return {
    id,
    clause: 'auth.invalid-key',
    level: verdict === 'observed' ? 'OBSERVE' : 'MUST',
    group: id.split('.').slice(0, 2).join('.'),
    title: `title of ${id}`,
    verdict,
    judge: 'documented',
    expected: '401 {"ok":false,"error":"Invalid API key"}',
    ...(verdict === 'fail' || verdict === 'error' ? { message: `it broke: ${HOSTILE}` } : {}),
    ...(verdict === 'not-verified' ? { reason: 'FFMPEG_API_REVOKED_KEY is not set' } : {}),
    durationMs: 3,
    ...extra,
  };
}

/** A report with every verdict, whose target answers with markup and injection attempts. */
export function hostileReport(interrupted = false): Report {
  const exchange = {
    request: { method: 'GET', url: `http://127.0.0.1:9/directory?q=${encodeURIComponent(HOSTILE)}`, transport: 'undici', headers: [`Authorization: ${HOSTILE}`] },
    response: { status: 401, contentType: 'text/html', body: HOSTILE, bodyTruncated: false, ms: 5 },
  };
  return buildReport(
    {
      schemaVersion: 1,
      tool: { name: 'ffmpeg-api-conformance', version: '0.1.0' },
      spec: { path: 'spec/openapi.yaml', version: '1.0.0', sha256: 'a'.repeat(64), errorTexts: ['Invalid API key'] },
      target: { name: `hostile ${HOSTILE}`, url: 'http://127.0.0.1:9', bundledMock: false, profile: 'direct', credentials: { valid: { variable: 'FFMPEG_API_KEY', set: true } } },
      options: { strict: false, concurrency: 8, timeoutMs: 10000 },
      clauses: [{ id: 'auth.invalid-key', level: 'MUST', quote: '❌ Error 401: “Invalid API key”', source: 'authentication-guide.txt:40-41' }],
      startedAt: '2026-01-01T00:00:00.000Z',
      durationMs: 1234,
      interrupted,
    },
    [
      check('auth.invalid.a', 'pass', { outcome: '401 Invalid API key', exchange }),
      check('auth.invalid.b', 'fail', { outcome: `401 ${HOSTILE}`, exchange }),
      check('auth.invalid.c', 'error', { outcome: 'error: timeout', exchange: { request: exchange.request } }),
      check('auth.revoked.d', 'not-verified'),
      check('hdr.prefix.e', 'observed', { outcome: `200 ${HOSTILE}`, exchange }),
    ],
  );
}
