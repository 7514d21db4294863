// Per operation of the spec: each documented status with its body, the success shape, and
// JSON on every documented status (authentication-guide.txt:40-83, public-api-facts.md:9-14).
import { describe, test } from 'vitest';
import { checksOf, runCheck } from './support.js';

describe.concurrent('operations', () => {
  test.for(checksOf('operations'))('$id', runCheck);
});
