// Header-format edge cases, grouped by the guide's troubleshooting bullets
// (authentication-guide.txt:42-45) and its advice on where keys go (:24, :56).
import { describe, test } from 'vitest';
import { checks, expectOutcome, observe } from './support.js';

const groups = [...new Set(checks.filter((c) => c.group.startsWith('headers.')).map((c) => c.group))];

describe.concurrent.each(groups)('%s', (group) => {
  test.for(checks.filter((c) => c.group === group))('$id', async (check, ctx) => {
    const response = await observe(check, ctx);
    expectOutcome(check, response);
  });
});
