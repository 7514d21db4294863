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
    /** The run's checks (its whole catalog), stamped on each test module: a merge of shards reconciles its results with them. */
    conformanceCatalog?: CheckEntry[];
  }
}

/** What is known of a check before it runs (its catalog entry): a check that crashed keeps it. */
export type CheckEntry = Pick<CheckResult, 'id' | 'clause' | 'level' | 'group' | 'title' | 'judge'>;

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
  /** The checks of the run (set by the run; replayed from the blobs when merging), by id. */
  readonly catalog = new Map<string, CheckEntry>();

  constructor(private readonly onResult: (r: CheckResult) => void = () => {}) {}

  /** The run's checks: a crashed one keeps its clause and level, and every module carries them (see mergeBlobs). */
  setCatalog(entries: readonly CheckEntry[]): void {
    for (const e of entries) this.catalog.set(e.id, e);
  }

  onTestCaseResult(testCase: TestCase): void {
    // A cancelled run skips or aborts the checks it cut short (without a result of ours) and may
    // report them twice: they did not finish, so they are left out (the run lists them as interrupted).
    const cut = this.interrupted && !(testCase.meta().conformance as CheckMeta | undefined);
    if (cut || this.reported.has(testCase.id)) return;
    for (const e of testCase.module.meta().conformanceCatalog ?? []) if (!this.catalog.has(e.id)) this.catalog.set(e.id, e);
    const r = toResult(testCase, this.catalog);
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
      if (this.head && this.catalog.size) m.meta().conformanceCatalog = [...this.catalog.values()];
      const head = m.meta().conformanceRun;
      if (head) this.heads.push(head);
      for (const e of m.meta().conformanceCatalog ?? []) if (!this.catalog.has(e.id)) this.catalog.set(e.id, e);
    }
    for (const e of errors) this.problems.push(redact(e.message ?? String(e)));
    for (const m of modules) {
      const err = m.errors()[0];
      if (err) this.problems.push(redact(`${m.moduleId}: ${err.message}`));
    }
  }
}

function toResult(testCase: TestCase, catalog: ReadonlyMap<string, CheckEntry>): CheckResult | undefined {
  const meta = testCase.meta().conformance as CheckMeta | undefined;
  const result = testCase.result();
  const durationMs = Math.round(testCase.diagnostic()?.duration ?? 0);
  if (meta) return { ...meta.result, durationMs };
  // A test without a recorded result: the check itself broke before its judge ruled (a harness bug).
  if (result.state !== 'failed') return undefined;
  const first = result.errors?.[0];
  const id = testCase.name.replace(/^'(.*)'$/, '$1'); // test.for quotes a string $id
  // Its clause and level from the catalog: a crashed SHOULD check never counts as a MUST.
  const entry = catalog.get(id) ?? { id, clause: '(unknown)', level: 'MUST', group: testCase.module.moduleId.replace(/^.*\/|\.conformance\.\w+$/g, ''), title: testCase.fullName, judge: '(none)' };
  return redactDeep({
    ...entry,
    verdict: 'error',
    expected: '(the check did not run to its judge)',
    message: `the check itself failed: ${String(first?.message ?? 'unknown error').split('\n')[0]}`,
    durationMs,
  });
}
