// The benchmark's floor: a one-test vitest run with the pool settings of the built command
// (dist/app/run.js POOL), started as the command starts: plain node, built JavaScript, no loader.
// Exit 0 only if the test ran and passed.
import { createVitest } from 'vitest/node';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';
import { POOL } from '../../dist/app/run.js';

const vitest = await createVitest(
  'test',
  { config: false, root: fileURLToPath(new URL('../..', import.meta.url)), include: ['scripts/bench/trivial.test.js'], reporters: [{}], watch: false, ...POOL },
  { logLevel: 'silent', clearScreen: false },
);
try {
  await vitest.start();
} finally {
  await vitest.close();
}
const passed = vitest.state.getFiles().flatMap((f) => f.tasks).filter((t) => t.result?.state === 'pass').length;
process.exitCode = passed === 1 && vitest.state.getCountOfFailedTests() === 0 ? 0 : 1;
