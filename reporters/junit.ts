// junit.xml: one testcase per check, for CI test tabs. A testsuite per check group (classname
// the group, name the check id); fail → <failure> with expected vs observed, error → <error>,
// not-verified → <skipped> with the reason in system-out; a SHOULD failure without --strict (which
// the exit code does not count) → <skipped> as well, so that the test tab agrees with the job. Built with junit-report-builder.
import junitModule, { type Builder } from 'junit-report-builder';
import type { CheckResult, Report } from './model.js';
import { observed, verdictText } from './text.js';

// CommonJS: module.exports is the builder itself, while the typings describe an ES default export.
const junit = junitModule as unknown as Builder;

function details(c: CheckResult): string {
  return [
    `${c.id} [${c.level}] ${c.title}`,
    `clause:   ${c.clause} (${c.source})`,
    `quote:    ${c.quote}`,
    `expected: ${c.expected}`,
    `observed: ${observed(c)}`,
    ...(c.exchange ? [`request:  ${c.exchange.request.method} ${c.exchange.request.url} (${c.exchange.request.transport})`] : []),
    ...(c.message ? ['', c.message] : []),
  ].join('\n');
}

export function renderJunit(report: Report): string {
  const builder = junit.newBuilder().name(`${report.tool.name} ${report.target.name}: ${verdictText(report)}`);
  const suites = new Map<string, ReturnType<typeof builder.testSuite>>();
  for (const c of report.checks) {
    let suite = suites.get(c.group);
    if (!suite) {
      suite = builder.testSuite().name(c.group).timestamp(report.startedAt).property('target', report.target.name);
      suites.set(c.group, suite);
    }
    const tc = suite.testCase().className(c.group).name(c.id).time(c.durationMs / 1000).property('level', c.level).property('clause', c.clause).property('verdict', c.verdict);
    if (c.outcome !== undefined) tc.property('outcome', c.outcome);
    const summary = `[${c.level}] expected ${c.expected}; observed ${observed(c)}`;
    // A failure the exit code does not count (SHOULD without --strict) is not a red test case:
    // the CI's test tab and the job's status tell one story. It is skipped, saying why.
    const gating = c.level === 'MUST' || report.options.strict;
    if ((c.verdict === 'fail' || c.verdict === 'error') && !gating) tc.skipped().standardOutput(`SHOULD ${c.verdict}, not gating without --strict: ${summary}`).standardError(details(c));
    else if (c.verdict === 'fail') tc.failure(summary, c.level).stacktrace(details(c));
    else if (c.verdict === 'error') tc.error(`${summary}: ${c.message?.split('\n')[0] ?? ''}`, 'harness', details(c));
    else if (c.verdict === 'not-verified') tc.skipped().standardOutput(`not verified: ${c.reason ?? ''}`);
    else if (c.verdict === 'observed') tc.standardOutput(`observed (recorded, not judged): ${observed(c)}`);
  }
  return builder.build();
}
