// A vitest reporter that turns each finished test into a CheckResult of the result model.
import type { Reporter, TestCase, TestModule } from 'vitest/node';
import type { CheckMeta } from '../suites/support.js';
import { redact, redactDeep } from '../src/secrets.js';
import type { Level } from '../src/spec.js';
import type { CheckResult, ReportHead, Verdict } from './model.js';

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
  private readonly reported = new Set<string>();

  constructor(private readonly onResult: (r: CheckResult) => void = () => {}) {}

  onTestCaseResult(testCase: TestCase): void {
    // A cancelled run skips the checks it cut short (without a reason of ours) and may report
    // them twice: they did not run, so they are left out.
    const cut = this.interrupted && testCase.result().state === 'skipped' && !(testCase.meta().conformance as CheckMeta | undefined)?.reason;
    if (cut || this.reported.has(testCase.id)) return;
    const r = toResult(testCase);
    if (!r) return;
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
  if (!meta) return undefined;
  const result = testCase.result();
  const level = meta.level as Level;
  let verdict: Verdict;
  let message: string | undefined;
  if (result.state === 'failed') {
    // Only a failed expectation is the target's fault; anything else thrown is our harness's.
    const first = result.errors?.[0];
    verdict = !meta.harnessError && first?.name === 'AssertionError' ? 'fail' : 'error';
    const named = first?.name === 'AssertionError' || first?.name === 'HarnessError' ? '' : `${first?.name ?? 'Error'}: `;
    message = meta.harnessError?.message ?? firstLines(`${named}${first?.message ?? 'failed'}`);
  } else if (result.state === 'skipped' || result.state === 'pending') {
    verdict = 'not-verified';
  } else {
    verdict = level === 'OBSERVE' ? 'observed' : 'pass';
  }
  return redactDeep({
    id: meta.id,
    clause: meta.clause,
    level,
    group: meta.group,
    title: meta.title,
    quote: meta.quote,
    source: meta.source,
    verdict,
    expected: meta.expected,
    ...(meta.outcome !== undefined && { outcome: meta.outcome }),
    ...(message !== undefined && { message }),
    ...(verdict === 'not-verified' && { reason: meta.reason ?? (result.state === 'skipped' ? result.note : undefined) ?? 'not run' }),
    ...(meta.exchange && { exchange: meta.exchange }),
    durationMs: Math.round(testCase.diagnostic()?.duration ?? 0),
  });
}

function firstLines(message: string): string {
  return message.split('\n').slice(0, 6).join('\n').slice(0, 1000);
}
