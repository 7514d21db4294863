// Header-format edge cases, grouped by the guide's troubleshooting bullets
// (authentication-guide.txt:42-45) and its advice on where keys go (:24, :56).
import { describe, test } from 'vitest';
import { checksOf, runCheck } from './support.js';

const checks = checksOf('headers');
const groups = [...new Set(checks.map((c) => c.group))];

describe.concurrent.each(groups)('%s', (group) => {
  test.for(checks.filter((c) => c.group === group))('$id', runCheck);
});
