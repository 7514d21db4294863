// The suites' glue to vitest: the run object for this run (created from what the command
// provides), the checks of a suite file, and running one check: the engine evaluates it, the
// result is data in the task's meta, and vitest's own state follows the verdict.
import { inject, type TestContext } from 'vitest';
import { addSecret } from '../core/secrets.js';
import type { Check, Suite } from './catalog.js';
import { Run, type RunContext } from './engine.js';
import type { CheckMeta } from '../core/results.js';
import type { KeyRole } from '../core/targets.js';

declare module 'vitest' {
  interface ProvidedContext {
    run: RunContext;
  }
}
declare module '@vitest/runner' {
  interface TaskMeta {
    conformance?: CheckMeta;
  }
}

const provided = inject('run');
for (const role of Object.keys(provided.target.credentials) as KeyRole[]) addSecret(provided.target.credentials[role], provided.keys[provided.target.credentials[role]]);

/** This run's state: one per run (the suites run in one worker, without isolation: app/run.ts). */
const run = new Run(provided);
if (provided.prefetch) run.prefetch();

/** The checks a suite file runs, in catalog order. */
export const checksOf = (suite: Suite): Check[] => provided.catalog.filter((c) => c.suite === suite);

/** A vitest test per check: the verdict is the engine's, recorded as data; vitest's state agrees with it. */
export async function runCheck(check: Check, ctx: TestContext): Promise<void> {
  const result = await run.evaluate(check);
  ctx.task.meta.conformance = { result, throttle: { ...run.transport.stats } };
  if (result.verdict === 'not-verified') ctx.skip(result.reason);
  if (result.verdict === 'fail' || result.verdict === 'error') throw new Error(`${check.id}: ${result.message ?? result.verdict}`);
}
