// The four files of a run are views of one report.json: the same checks and the same counts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { documentedErrorTexts, LEVELS, loadContract } from '../core/spec.js';
import { type Report } from '../reporters/model.js';
import { startMock, type RunningMock } from '../mock/server.js';
import { groupedFindings } from '../reporters/text.js';
import { cleanEnv, junitErrors, MOCK_ENV, runInProcess } from './helpers.js';
import { VERDICTS } from '../core/results.js';

const count = (text: string, re: RegExp) => text.match(re)?.length ?? 0;

/** Asserts that report.md, report.html and junit.xml in `dir` say what report.json says. */
function assertViewsAgree(dir: string, report: Report): void {
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  const [md, html, xml] = [read('report.md'), read('report.html'), read('junit.xml')];
  const s = report.summary;
  const figure = (l: 'MUST' | 'SHOULD') => {
    const missing = s.coverage[l].applicable - s.coverage[l].verified;
    const inapplicable = Object.values(s.levels[l]).reduce((a, b) => a + b, 0) - s.coverage[l].applicable;
    return `${l} ${s.levels[l].pass} pass of ${s.coverage[l].applicable}${missing ? ` — ${missing} not verified` : ''}${inapplicable ? `; ${inapplicable} not applicable` : ''}`;
  };
  // A failure or error the exit code does not count (SHOULD without --strict) is skipped in JUnit.
  const gating = report.checks.filter((c) => c.level === 'MUST' || report.options.strict);
  const failures = gating.filter((c) => c.verdict === 'fail').length;
  const errors = gating.filter((c) => c.verdict === 'error').length;
  const skipped = s.verdicts.fail + s.verdicts.error - failures - errors + s.verdicts['not-verified'];

  // Markdown: the counts table, the compatibility line, one finding per fail/error, one row per check.
  for (const level of LEVELS) expect(md).toContain(`| **${level}** | ${VERDICTS.map((v) => s.levels[level][v]).join(' | ')} |`);
  expect(md).toContain(`| all | ${VERDICTS.map((v) => s.verdicts[v]).join(' | ')} | ${s.total} checks |`);
  expect(md).toContain(`${figure('MUST')}, ${figure('SHOULD')}, OBSERVE ${s.levels.OBSERVE.observed} recorded`);
  // The figures add up: per judged level, applicable + not applicable = its checks; the levels, the total.
  for (const l of ['MUST', 'SHOULD'] as const) {
    const [, applicable, inapplicable] = /pass of (\d+)(?: — \d+ not verified)?(?:; (\d+) not applicable)?$/.exec(figure(l))!;
    expect(Number(applicable) + Number(inapplicable ?? 0)).toBe(Object.values(s.levels[l]).reduce((a, b) => a + b, 0));
  }
  expect(LEVELS.reduce((n, l) => n + Object.values(s.levels[l]).reduce((a, b) => a + b, 0), 0)).toBe(s.total);
  // One finding per broken clause, naming each failed or errored check once.
  const groups = groupedFindings(report);
  const nGroups = groups.regressions.length + groups.others.length;
  expect(md).toContain(`## Findings (${nGroups} clause${nGroups === 1 ? '' : 's'}, ${s.verdicts.fail + s.verdicts.error} check`);
  expect(count(md, /^### \d+\. (REGRESSION|FAIL|ERROR) /gm)).toBe(nGroups);
  const named = md.split('## All checks')[0]!.match(/^- \*\*Checks:\*\* .*$/gm)?.join(' ') ?? '';
  for (const c of report.checks) expect(named.includes(`\` ${c.id} \``), c.id).toBe(c.verdict === 'fail' || c.verdict === 'error');
  const rows = md.split('## All checks')[1]!.split('\n').filter((l) => l.startsWith('| ` '));
  expect(rows).toHaveLength(report.checks.length);
  report.checks.forEach((c, i) => expect(rows[i]).toMatch(new RegExp(`^\\| \` ${c.id.replace(/\./g, '\\.')} \` \\| ${c.level} \\| (\\*\\*)?${c.verdict}`)));

  // JUnit: one testcase per check; a gating fail → failure, error → error, not-verified or non-gating → skipped.
  expect(xml).toMatch(new RegExp(`<testsuites [^>]*tests="${s.total}" failures="${failures}" errors="${errors}" skipped="${skipped}"`));
  expect(count(xml, /<testcase /g)).toBe(s.total);
  expect(count(xml, /<failure /g)).toBe(failures);
  expect(count(xml, /<error /g)).toBe(errors);
  expect(count(xml, /<skipped message="[^"]+"\/>/g)).toBe(skipped);
  for (const c of report.checks) expect(xml).toContain(`classname="${c.group}" name="${c.id} — `);

  // HTML: the counts table and one expandable element per check (the browser test reads them live).
  for (const level of LEVELS) for (const v of VERDICTS) expect(html).toContain(`data-count="${level}:${v}">${s.levels[level][v]}<`);
  expect(count(html, /<details class="check"/g)).toBe(s.total);
  for (const c of report.checks) expect(html).toContain(`data-id="${c.id}" data-level="${c.level}" data-verdict="${c.verdict}"`);
}

test('the default run (npm run conformance) writes report.json, report.md, report.html and junit.xml, all consistent', async () => {
  const run = await runInProcess([]);
  expect(run.code, run.stderr).toBe(0);
  const report = run.report(); // validates against the schema
  expect(run.stdout).toMatch(/report: .*report\.json[\s\S]*report: .*report\.md[\s\S]*report: .*report\.html[\s\S]*report: .*junit\.xml/);
  assertViewsAgree(run.dir, report);
  // The contract's error texts travel in the report (the matrix reads them), each one a check expects.
  expect(report.spec.errorTexts).toEqual(documentedErrorTexts(await loadContract()));
  for (const text of report.spec.errorTexts!) expect(report.checks.some((c) => c.expected.includes(JSON.stringify(text))), text).toBe(true);
});

describe('a run with failures, not-verified and observed checks', () => {
  let mock: RunningMock;
  beforeAll(async () => {
    mock = await startMock({ faults: ['bearer-accepted', 'echo-credential'] });
  });
  afterAll(() => mock.close());

  test('its views agree with report.json, which validates against the schema', async () => {
    const env = cleanEnv({ FFMPEG_API_KEY: MOCK_ENV.FFMPEG_API_KEY, FFMPEG_API_QUOTA_EXCEEDED_KEY: MOCK_ENV.FFMPEG_API_QUOTA_EXCEEDED_KEY });
    const run = await runInProcess(['--target', mock.url], env);
    expect(run.code, run.stderr).toBe(1);
    const report = run.report();
    const s = report.summary;
    expect([s.verdicts.fail, s.verdicts['not-verified'] > 0, s.verdicts.observed > 0]).toEqual([2, true, true]);
    assertViewsAgree(run.dir, report);
    // The Markdown finding carries the clause, the quoted sentence, expected and observed.
    const md = readFileSync(join(run.dir, 'report.md'), 'utf8');
    const bearer = report.checks.find((c) => c.id === 'hdr.prefix.bearer')!;
    const bearerSource = report.clauses.find((k) => k.id === bearer.clause)!.source;
    const finding = md.split('### 1. FAIL ` auth.prefix ` (MUST) — 1 check')[1]!.split('###')[0]!;
    for (const text of ['**Clause:** ` auth.prefix `', '**Checks:** ` hdr.prefix.bearer `', bearerSource, '“- Format: Must start with “Basic ” (note the space)”', `**Expected:** ${bearer.expected}`, '**Observed:** ` 200 `'])
      expect(finding).toContain(text);
    // The skip reason reaches JUnit, as the skipped element's message; the file is valid JUnit.
    const xml = readFileSync(join(run.dir, 'junit.xml'), 'utf8');
    expect(xml).toContain('<skipped message="not verified: FFMPEG_API_REVOKED_KEY is not set"/>');
    expect(await junitErrors(xml)).toEqual([]);
  });
});
