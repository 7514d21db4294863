// A vitest reporter that turns each finished test into a CheckResult of the result model.
import type { Reporter, TestCase, TestModule } from 'vitest/node';
import type { ThrottleStats } from '../core/http/transport.js';
import { redact, redactDeep } from '../core/secrets.js';
import type { ReportHead } from './model.js';
import type { CheckResult, CheckMeta } from '../core/results.js';

declare module '@vitest/runner' {
  interface TaskMeta {
    /** The run's report head, stamped on each test module so that it survives a blob (--shard). */
    conformanceRun?: ReportHead;
  }
}

export class Collector implements Reporter {
  readonly results: CheckResult[] = [];
  readonly problems: string[] = [];
  interrupted = false;
  /** Set by the run: stamped on every module at the end. */
  head?: Omit<ReportHead, 'durationMs' | 'interrupted'>;
  /** The heads found on the modules (from the blobs, when merging sharded runs). */
  readonly heads: ReportHead[] = [];
  /** How much the target throttled the run: the latest counters any check saw (they only grow). */
  throttle: ThrottleStats = { answers: 0, waitedMs: 0, concurrency: 0 };
  private readonly reported = new Set<string>();

  constructor(private readonly onResult: (r: CheckResult) => void = () => {}) {}

  onTestCaseResult(testCase: TestCase): void {
    // A cancelled run skips or aborts the checks it cut short (without a result of ours) and may
    // report them twice: they did not finish, so they are left out (the run lists them as interrupted).
    const cut = this.interrupted && !(testCase.meta().conformance as CheckMeta | undefined);
    if (cut || this.reported.has(testCase.id)) return;
    const r = toResult(testCase);
    if (!r) return;
    const t = (testCase.meta().conformance as CheckMeta | undefined)?.throttle;
    if (t && t.answers >= this.throttle.answers) this.throttle = t;
    this.reported.add(testCase.id);
    this.results.push(r);
    this.onResult(r);
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>, errors: ReadonlyArray<{ message?: string }>, reason: string): void {
    if (reason === 'interrupted') this.interrupted = true;
    for (const m of modules) {
      if (this.head) m.meta().conformanceRun = { ...this.head, durationMs: Date.now() - Date.parse(this.head.startedAt), interrupted: this.interrupted };
      const head = m.meta().conformanceRun;
      if (head) this.heads.push(head);
    }
    for (const e of errors) this.problems.push(redact(e.message ?? String(e)));
    for (const m of modules) {
      const err = m.errors()[0];
      if (err) this.problems.push(redact(`${m.moduleId}: ${err.message}`));
    }
  }
}

function toResult(testCase: TestCase): CheckResult | undefined {
  const meta = testCase.meta().conformance as CheckMeta | undefined;
  const result = testCase.result();
  const durationMs = Math.round(testCase.diagnostic()?.duration ?? 0);
  if (meta) return { ...meta.result, durationMs };
  // A test without a recorded result: the check itself broke before its judge ruled (a harness bug).
  if (result.state !== 'failed') return undefined;
  const first = result.errors?.[0];
  return redactDeep({
    id: testCase.name.replace(/^'(.*)'$/, '$1'), // test.for quotes a string $id
    clause: '(unknown)',
    level: 'MUST',
    group: testCase.module.moduleId.replace(/^.*\/|\.conformance\.\w+$/g, ''),
    title: testCase.fullName,
    quote: '',
    source: '',
    judge: '(none)',
    verdict: 'error',
    expected: '(the check did not run to its judge)',
    message: `the check itself failed: ${String(first?.message ?? 'unknown error').split('\n')[0]}`,
    durationMs,
  });
}
