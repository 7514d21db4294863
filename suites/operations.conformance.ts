// Per operation of the spec: each documented status with its body, the success shape, and
// JSON on every documented status (authentication-guide.txt:40-83, public-api-facts.md:9-14).
import { describe, test } from 'vitest';
import { checks, expectOutcome, isJson, judgeAll, observe } from './support.js';

const DOCUMENTED = [200, 400, 401, 403];

describe.concurrent('operations', () => {
  test.for(checks.filter((c) => c.group === 'operations' && c.probe))('$id', async (check, ctx) => {
    expectOutcome(check, await observe(check, ctx));
  });

  test.for(checks.filter((c) => c.expect === 'json-everywhere'))('$id', (check, ctx) =>
    judgeAll(check, ctx, 'documented answers without a JSON Content-Type', ({ probe, response: r }) =>
      DOCUMENTED.includes(r.status) && !isJson(r) ? `${probe.key}: ${r.status} ${r.headers['content-type'] ?? '(no Content-Type)'}` : undefined,
    ),
  );
});
