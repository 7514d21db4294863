// junit.xml as CI systems read it: valid against the JUnit schema (test/fixtures/junit.xsd,
// checked with libxml2 compiled to WebAssembly: no network, no system package), a skipped case
// says why in its message, suites and cases carry their time, and names read "id — title".
import { expect, test } from 'vitest';
import { renderJunit } from '../reporters/junit.js';
import { hostileReport } from './fixtures.js';
import { junitErrors } from './helpers.js';

test('junit.xml is valid against the JUnit schema; skipped says why, suites and cases carry their time, names read "id — title"', async () => {
  const report = hostileReport();
  const xml = renderJunit(report);
  expect(await junitErrors(xml)).toEqual([]);

  const notVerified = report.checks.find((c) => c.verdict === 'not-verified')!;
  expect(xml).toContain(`name="${notVerified.id} — `);
  expect(xml).toMatch(/<skipped message="not verified: [^"]+"\/>/);
  expect(xml.match(/<testsuite [^>]*\btime="[\d.]+"/g)).toHaveLength(new Set(report.checks.map((c) => c.group)).size);
  expect(xml.match(/<testcase [^>]*\btime="[\d.]+"/g)).toHaveLength(report.checks.length);
  // A hostile body with several "]]>" stays inside its CDATA section, whole.
  const failed = report.checks.find((c) => c.verdict === 'fail')!;
  const section = /<failure message="[^"]*" type="[^"]*"><!\[CDATA\[([\s\S]*?)\]\]><\/failure>/.exec(xml)![1]!.replaceAll(']]><![CDATA[', '');
  expect(section).toContain(failed.message!);
});

test('the schema check can fail: a bare <skipped/> or a testsuite without time is rejected', async () => {
  const xml = renderJunit(hostileReport());
  expect(await junitErrors(xml.replace(/<skipped message="[^"]*"\/>/, '<skipped/>'))).toEqual([expect.stringMatching(/skipped.*message.*required/i)]);
  expect(await junitErrors(xml.replace(/(<testsuite [^>]*?) time="[\d.]+"/, '$1'))).toEqual([expect.stringMatching(/testsuite.*time.*required/i)]);
});
