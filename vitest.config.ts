import { defineConfig } from 'vitest/config';

// The project's own tests. The conformance suites (suites/*.conformance.ts) are not run from here:
// the `conformance` command runs them, and test/ runs that command against real servers.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
