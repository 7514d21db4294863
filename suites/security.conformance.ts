// Judged over every answer of the run: the key never comes back, malformed input never makes the
// server fail (authentication-guide.txt:32, :41; RFC 9110 §15.5-15.6).
import { describe, test } from 'vitest';
import { checks, judgeAll, leaks } from './support.js';

describe.concurrent('security', () => {
  test.for(checks.filter((c) => c.expect === 'no-echo'))('$id', (check, ctx) =>
    judgeAll(check, ctx, 'answers that contain the credential', ({ probe, response: r, sent }) =>
      sent && leaks(r, sent) ? `${probe.key} (${r.status})` : undefined,
    ),
  );

  test.for(checks.filter((c) => c.expect === 'no-5xx'))('$id', (check, ctx) =>
    judgeAll(check, ctx, 'answers with a 5xx status', ({ probe, response: r }) => (r.status >= 500 ? `${probe.key}: ${r.status}` : undefined)),
  );
});
