// The deployment in front of the API: HTTPS only (authentication-guide.txt:31, RFC 6797), caches
// that must not replay an authenticated answer (RFC 9111 §3.5), and key-injecting backends that
// make the API calls for their clients (:28). Checks that do not fit the target's profile or
// scheme are not-verified with the reason (see checkInapplicable in catalog.ts).
import { describe, expect, test } from 'vitest';
import {
  begin,
  checks,
  credentialValue,
  describeExchange,
  expectOutcome,
  harnessFailed,
  isJson,
  judgeAll,
  keyParts,
  leaks,
  notVerified,
  observe,
  parseJson,
  sendFor,
  type Exchange,
} from './support.js';

const having = (...e: string[]) => checks.filter((c) => e.includes(c.expect));

/** Whether the API itself answered (a success, or one of its JSON bodies with an `ok` field). */
function servedByApi(ex: Exchange): boolean {
  const r = ex.response!;
  const body = parseJson(r.body) as { ok?: unknown } | undefined;
  return r.status < 300 || (isJson(r) && typeof body?.ok === 'boolean');
}

describe.concurrent('transport', () => {
  test.for(having('plain-http-refused'))('$id', async (check, ctx) => {
    const meta = begin(check, ctx);
    const ex = await sendFor(meta, ctx, check.probe!);
    if (ex.error) {
      // No connection, or no answer, on plain http: the key could not have been used there.
      if (ex.error.kind === 'refused' || ex.error.kind === 'reset' || ex.error.kind === 'timeout') {
        meta.outcome = `not served over plain http (${ex.error.kind})`;
        return;
      }
      harnessFailed(meta, ex.error);
    }
    const r = ex.response!;
    if (r.status >= 300 && r.status < 400) {
      meta.outcome = `${r.status} → ${r.headers.location ?? '(no Location)'}`;
      expect(r.headers.location ?? '(no Location)', 'a redirect from plain http must lead to https').toMatch(/^https:\/\//i);
      return;
    }
    expect(servedByApi(ex), `plain http must not be served: it answered ${r.status} as the API would`).toBe(false);
  });

  test.for(having('hsts'))('$id', (check, ctx) =>
    judgeAll(check, ctx, 'https answers without Strict-Transport-Security max-age > 0', ({ probe, response: r }) => {
      const maxAge = /(?:^|;)\s*max-age\s*=\s*"?(\d+)"?/i.exec(r.headers['strict-transport-security'] ?? '');
      return maxAge && Number(maxAge[1]) > 0 ? undefined : `${probe.key}: ${r.headers['strict-transport-security'] ?? '(no header)'}`;
    }),
  );
});

describe.concurrent('cache', () => {
  // One test, in this order on purpose: the authenticated answer first, so that a shared cache
  // that ignores the credential has it to replay to the requests that follow.
  test.for(having('no-replay'))('$id', async (check, ctx) => {
    const meta = begin(check, ctx);
    const [first, ...rest] = check.sequence!;
    const auth = await sendFor(meta, ctx, first!);
    if (auth.error) harnessFailed(meta, auth.error);
    if (auth.response!.status >= 300) notVerified(meta, ctx, `the authenticated request got ${auth.response!.status}: no success answer that a cache could replay`);
    const offences: Array<{ ex: Exchange; what: string }> = [];
    let shown: Exchange | undefined;
    for (const probe of rest) {
      const ex = await sendFor(meta, ctx, probe);
      if (ex.error) harnessFailed(meta, ex.error);
      const r = ex.response!;
      shown ??= ex;
      if (r.status < 300 || r.body === auth.response!.body) offences.push({ ex, what: `${probe.key}: ${r.status}${r.headers.age !== undefined ? ` (Age: ${r.headers.age})` : ''}` });
    }
    meta.exchange = describeExchange(offences[0]?.ex ?? shown!);
    meta.outcome = offences.length ? `replayed: ${offences.map((o) => o.what).join('; ')}` : 'not replayed';
    expect(offences.map((o) => o.what), 'requests without the key answered with the authenticated answer (from a cache)').toEqual([]);
  });

  test.for(having('private-cache'))('$id', (check, ctx) =>
    judgeAll(
      check,
      ctx,
      'authenticated success answers a shared cache may store',
      ({ probe, response: r }) => {
        const cc = (r.headers['cache-control'] ?? '').toLowerCase();
        const vary = (r.headers.vary ?? '').toLowerCase();
        if (/\b(private|no-store)\b/.test(cc) || /(^|,)\s*(authorization|\*)\s*(,|$)/.test(vary)) return undefined;
        return `${probe.key}: Cache-Control ${r.headers['cache-control'] ?? '(none)'}, Vary ${r.headers.vary ?? '(none)'}`;
      },
      ({ response: r }) => r.status >= 200 && r.status < 300,
    ),
  );
});

describe.concurrent('proxy', () => {
  test.for(checks.filter((c) => c.group === 'proxy' && c.expect === 'success'))('$id', async (check, ctx) => {
    expectOutcome(check, await observe(check, ctx));
  });

  test.for(having('error-shape'))('$id', async (check, ctx) => {
    const r = await observe(check, ctx);
    expect(r.status, 'an error status (4xx) from the upstream').toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect(r.headers['content-type'] ?? '(none)', 'Content-Type must stay application/json').toMatch(/^application\/([\w.+-]+\+)?json\s*(;|$)/i);
    const body = parseJson(r.body) as { ok?: unknown; error?: unknown } | undefined;
    expect({ ok: body?.ok, error: typeof body?.error }, 'the body must be the upstream\'s {"ok":false,"error":"..."}').toEqual({ ok: false, error: 'string' });
  });

  // Applies only when the injected key's variable is set (checkInapplicable): it is searched for, never sent.
  test.for(having('no-key-leak'))('$id', (check, ctx) =>
    judgeAll(check, ctx, 'answers that carry the injected key', ({ probe, response: r }) =>
      leaks(r, keyParts(credentialValue('valid')!)) ? `${probe.key} (${r.status})` : undefined,
    ),
  );
});
