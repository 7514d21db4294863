// The one test of the benchmark's floor run (scripts/bench/floor.mjs); not part of `npm test`.
import { expect, test } from 'vitest';

test('one plus one', () => {
  expect(1 + 1).toBe(2);
});
