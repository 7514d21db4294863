// The deployment in front of the API: HTTPS only (authentication-guide.txt:31, RFC 6797), caches
// that must not replay an authenticated answer (RFC 9111 §3.5), and key-injecting backends that
// make the API calls for their clients (:28). Checks that do not fit the target's profile or
// scheme are not-verified with the reason (checkInapplicable in catalog.ts).
import { describe, test } from 'vitest';
import { checksOf, runCheck } from './support.js';

const checks = checksOf('deployment');

describe.concurrent.each([...new Set(checks.map((c) => c.group))])('%s', (group) => {
  test.for(checks.filter((c) => c.group === group))('$id', runCheck);
});
