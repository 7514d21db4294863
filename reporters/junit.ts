// junit.xml: one testcase per check, for CI test tabs. A testsuite per check group (classname
// the group, name "id — title"), each with its time; fail → <failure> with expected vs observed,
// error → <error>, not-verified → <skipped message="reason">; a SHOULD failure without --strict
// (which the exit code does not count) → <skipped> as well, so that the test tab agrees with the
// job. Built with junit-report-builder; test/junit.test.ts validates it against a JUnit schema.
import junitModule, { type Builder, type TestCase } from 'junit-report-builder';
import { clauseOf, type Report } from './model.js';
import { observed, verdictText } from './text.js';
import type { CheckResult } from '../core/results.js';

/** xmlbuilder's element (junit-report-builder's dependency), as junit-report-builder's own typings give it. */
type XMLElement = ReturnType<TestCase['build']>;

// CommonJS: module.exports is the builder itself, while the typings describe an ES default export.
const junit = junitModule as unknown as Builder;

function details(c: CheckResult, doc: { quote: string; source: string }): string {
  return [
    `${c.id} [${c.level}] ${c.title}`,
    `clause:   ${c.clause} (${doc.source})`,
    `quote:    ${doc.quote}`,
    `expected: ${c.expected}`,
    `observed: ${observed(c)}`,
    ...(c.exchange ? [`request:  ${c.exchange.request.method} ${c.exchange.request.url} (${c.exchange.request.transport})`] : []),
    ...(c.message ? ['', c.message] : []),
  ].join('\n');
}

/**
 * Text for a CDATA section. xmlbuilder (under junit-report-builder) splits only the first "]]>" of
 * a CDATA text, so a target's body with two of them would end the section early and break the
 * file. The first is left for xmlbuilder; the others are split here the same way.
 */
function cdata(text: string): string {
  const first = text.indexOf(']]>');
  return first < 0 ? text : text.slice(0, first + 3) + text.slice(first + 3).replaceAll(']]>', ']]]]><![CDATA[>');
}

/** Skips a test case with its reason as the message (junit-report-builder writes a bare <skipped/>; CI UIs show the message). */
function skip(tc: TestCase, message: string): TestCase {
  const build = tc.skipped().build.bind(tc);
  tc.build = (parent) => {
    const element = build(parent);
    element.children.find((n): n is XMLElement => (n as XMLElement).name === 'skipped')?.att('message', message);
    return element;
  };
  return tc;
}

export function renderJunit(report: Report): string {
  const builder = junit.newBuilder().name(`${report.tool.name} ${report.target.name}: ${verdictText(report)}`);
  const suites = new Map<string, ReturnType<typeof builder.testSuite>>();
  for (const c of report.checks) {
    let suite = suites.get(c.group);
    if (!suite) {
      const inGroup = report.checks.filter((x) => x.group === c.group);
      suite = builder.testSuite().name(c.group).timestamp(report.startedAt).time(inGroup.reduce((t, x) => t + x.durationMs, 0) / 1000).property('target', report.target.name);
      const scope = report.summary.scope;
      if (scope) suite.property('scope', `${scope.checks} of ${scope.of} checks`).property('scope.by', scope.by.join(' '));
      suites.set(c.group, suite);
    }
    const tc = suite.testCase().className(c.group).name(`${c.id} — ${c.title}`).time(c.durationMs / 1000).property('level', c.level).property('clause', c.clause).property('verdict', c.verdict);
    if (c.outcome !== undefined) tc.property('outcome', c.outcome);
    const summary = `[${c.level}] expected ${c.expected}; observed ${observed(c)}`;
    // A failure the exit code does not count (SHOULD without --strict) is not a red test case:
    // the CI's test tab and the job's status tell one story. It is skipped, saying why.
    const gating = c.level === 'MUST' || report.options.strict;
    if ((c.verdict === 'fail' || c.verdict === 'error') && !gating) skip(tc, `SHOULD ${c.verdict}, not gating without --strict: ${summary}`).standardError(cdata(details(c, clauseOf(report, c.clause))));
    else if (c.verdict === 'fail') tc.failure(summary, c.level).stacktrace(cdata(details(c, clauseOf(report, c.clause))));
    else if (c.verdict === 'error') tc.error(`${summary}: ${c.message?.split('\n')[0] ?? ''}`, 'harness', cdata(details(c, clauseOf(report, c.clause))));
    else if (c.verdict === 'not-verified') skip(tc, `not verified: ${c.reason ?? ''}`);
    else if (c.verdict === 'observed') tc.standardOutput(cdata(`observed (recorded, not judged): ${observed(c)}`));
  }
  return builder.build();
}
