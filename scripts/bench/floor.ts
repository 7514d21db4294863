// The benchmark's floor: a one-test vitest run with the pool settings of src/run.ts, started as the
// `conformance` command was before it shipped built JavaScript (node --import ./scripts/bench/boot.js).
// Exit 0 only if the test ran and passed.
import { createVitest } from 'vitest/node';
import { POOL, ROOT } from '../../src/run.js';

const vitest = await createVitest(
  'test',
  { config: false, root: ROOT, include: ['scripts/bench/trivial.test.ts'], reporters: [{}], watch: false, ...POOL },
  { logLevel: 'silent', clearScreen: false },
);
try {
  await vitest.start();
} finally {
  await vitest.close();
}
const passed = vitest.state.getFiles().flatMap((f) => f.tasks).filter((t) => t.result?.state === 'pass').length;
process.exitCode = passed === 1 && vitest.state.getCountOfFailedTests() === 0 ? 0 : 1;
