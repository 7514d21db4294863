import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// One test file per core; test/helpers.ts lets each spawn at most one command per core at a time.
const workers = availableParallelism();

// The project's own tests. The conformance suites (suites/*.conformance.ts) are not run from here:
// the `conformance` command runs them, and test/ runs that command against real servers.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    maxWorkers: workers,
    testTimeout: 120_000, // a test may wait for a spawn slot (test/helpers.ts)
    hookTimeout: 30_000,
    // The built command (runInProcess) loads natively, as it runs for a user: no transform of built JavaScript.
    server: { deps: { external: [/\/dist\//] } },
  },
});
