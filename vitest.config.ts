import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// One test file per core; test/helpers.ts lets each spawn at most one command per core at a time.
const workers = availableParallelism();

/**
 * The files that take longest (waiting on servers, deadlines and throttled targets, or spawning
 * the command) go first, longest first, so that the workers end together. A fresh clone (CI) has
 * no timings of its own, and vitest would start with the largest files. Measured by .ci/run.
 */
const LONGEST_FIRST = ['verdicts', 'safety', 'html-browser', 'hostile', 'cli', 'nginx', 'interrupt', 'endings', 'package', 'faults', 'http', 'engine', 'leaks', 'console'];
class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const i = LONGEST_FIRST.indexOf(basename(f.moduleId, '.test.ts'));
      return i < 0 ? LONGEST_FIRST.length : i;
    };
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b)); // stable: the others keep vitest's order
  }
}

// The project's own tests. The conformance suites (suites/*.conformance.ts) are not run from here:
// the `conformance` command runs them, and test/ runs that command against real servers.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    maxWorkers: workers,
    testTimeout: 120_000, // a test may wait for a spawn slot (test/helpers.ts)
    hookTimeout: 30_000,
    sequence: { sequencer: LongestFirst },
    // The built command (runInProcess) loads natively, as it runs for a user: no transform of built JavaScript.
    server: { deps: { external: [/\/dist\//] } },
  },
});
