// Judged over every answer of the run: the key never comes back, malformed input never makes the
// server fail (authentication-guide.txt:32, :41; RFC 9110 §15.5-15.6).
import { describe, test } from 'vitest';
import { checksOf, runCheck } from './support.js';

describe.concurrent('security', () => {
  test.for(checksOf('security'))('$id', runCheck);
});
