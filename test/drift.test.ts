// Drift against a baseline and the multi-target matrix, with real runs against real servers: the
// clean reference mock and mocks with seeded faults, each on its own loopback port.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Matrix } from '../reporters/matrix.js';
import { startMock, type Fault, type RunningMock } from '../mock/server.js';
import { loadReport } from '../reporters/schema.js';
import { cleanEnv, MOCK_ENV, runInProcess, tempDir, type CliRun } from './helpers.js';

const mocks = new Map<string, RunningMock>();
const run = (name: string, args: string[] = []) => runInProcess(['--target', mocks.get(name)!.url, ...args], cleanEnv(MOCK_ENV));
let clean: CliRun;

beforeAll(async () => {
  const faults: Record<string, Fault[]> = { clean: [], echo: ['echo-credential'], caseless: ['token-case-insensitive'], missing401: ['missing-header-401'] };
  for (const [name, f] of Object.entries(faults)) mocks.set(name, await startMock({ faults: f }));
  clean = await run('clean');
  expect(clean.code, clean.stderr).toBe(0);
});
afterAll(async () => {
  await Promise.all([...mocks.values()].map((m) => m.close()));
});

describe('--baseline', () => {
  test('one new violation: exit 1, and the regression leads the console summary and report.md', async () => {
    // echo-credential breaks a SHOULD clause only: without --strict the run alone would exit 0
    // (test/faults.test.ts); the regression against the baseline makes it 1.
    const now = await run('echo', ['--baseline', join(clean.dir, 'report.json')]);
    expect(now.code, now.stdout + now.stderr).toBe(1);
    const report = now.report();
    expect(report.summary.conformant).toBe(true);
    expect(report.drift!.counts).toMatchObject({ regression: 1, fixed: 0, 'still-failing': 0, new: 0, removed: 0 });
    expect(report.drift!.checks.filter((d) => d.kind === 'regression')).toEqual([
      { id: 'security.no-credential-echo', level: 'SHOULD', kind: 'regression', before: { verdict: 'pass', outcome: expect.stringMatching(/0 offending/) }, after: { verdict: 'fail', outcome: expect.stringMatching(/[1-9]\d* offending/) } },
    ]);
    expect(report.drift!.baseline.path).toBe(join(clean.dir, 'report.json'));

    const summary = now.stdout.slice(now.stdout.lastIndexOf('\n\n', now.stdout.indexOf('REGRESSIONS')));
    expect(summary.trim().split('\n').slice(0, 3)).toEqual([
      `REGRESSIONS against the baseline (${join(clean.dir, 'report.json')}), was pass, now fail:`,
      expect.stringMatching(/^ {4}✗ security\.no-credential-echo \(SHOULD\) — 1 check: .*expected no trace of the credential/),
      '        security.no-credential-echo',
    ]);
    // Each failure once: the summary names the regression under REGRESSIONS only.
    expect(summary.split('security.no-credential-echo').length - 1).toBe(2);
    expect(summary).not.toMatch(/^ {2}FINDINGS/m);
    expect(now.stdout).toMatch(/^REGRESSED \(1 regression against the baseline; no MUST failure\)/m);

    const md = readFileSync(join(now.dir, 'report.md'), 'utf8');
    expect(md).toMatch(/^\*\*REGRESSED \(1 regression against the baseline; no MUST failure\)\*\*/m);
    expect(md.match(/^### .*$/m)?.[0]).toBe('### 1. REGRESSION ` security.no-credential-echo ` (SHOULD) — 1 check');
  });

  test('against its own baseline a clean target has no drift and exits 0', async () => {
    const again = await run('clean', ['--baseline', join(clean.dir, 'report.json')]);
    expect(again.code, again.stdout).toBe(0);
    const drift = again.report().drift!;
    expect(drift.counts.unchanged).toBe(drift.checks.length);
    expect(drift.checks.length).toBe(clean.report().checks.length);
  });

  test('a baseline written before the clause table (quote and source on each check) is still read', async () => {
    const current = clean.report();
    const table = new Map(current.clauses.map((c) => [c.id, c]));
    const { clauses, ...rest } = current;
    expect(clauses.length).toBeGreaterThan(0);
    const legacy = { ...rest, checks: current.checks.map((c) => ({ ...c, quote: table.get(c.clause)!.quote, source: table.get(c.clause)!.source })) };
    const path = join(tempDir(), 'old-report.json');
    writeFileSync(path, JSON.stringify(legacy));
    const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
    const cited = current.clauses.filter((c) => current.checks.some((k) => k.clause === c.id)).map((c) => ({ ...c, level: current.checks.find((k) => k.clause === c.id)!.level }));
    expect(loadReport(path).clauses.sort(byId)).toEqual(cited.sort(byId));
    const again = await run('clean', ['--baseline', path]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.report().drift!.counts.unchanged).toBe(current.checks.length);
  });

  test('a baseline that is not a report is bad input: exit 2, one line', async () => {
    const bad = join(clean.dir, 'report.md');
    const r = await run('clean', ['--baseline', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot read report .*report\.md/);
  });
});

describe('--compare', () => {
  test('two different servers: the matrix shows their differing rows, OBSERVE ones included', async () => {
    const other = await run('caseless');
    expect(other.code).toBe(1);
    const out = await runInProcess(['--compare', join(clean.dir, 'report.json'), '--compare', join(other.dir, 'report.json')]);
    expect(out.code, out.stderr).toBe(1);
    const matrix = JSON.parse(readFileSync(join(out.dir, 'matrix.json'), 'utf8')) as Matrix;
    expect(matrix.targets.map((t) => t.label)).toEqual([mocks.get('clean')!.url, mocks.get('caseless')!.url]);
    const divergent = Object.fromEntries(matrix.rows.filter((r) => r.divergent).map((r) => [r.id, r.cells]));
    // The token compared without regard to case: a MUST failure, and the scheme's case (OBSERVE) now accepted.
    expect(divergent['hdr.copying.token-case']).toEqual([{ verdict: 'pass', outcome: '401 Invalid API key' }, { verdict: 'fail', outcome: '200' }]);
    expect(divergent['hdr.prefix.lowercase']).toEqual([{ verdict: 'observed', outcome: '401 Invalid API key' }, { verdict: 'observed', outcome: '200' }]);
    expect(matrix.summary.divergentByLevel.OBSERVE).toBeGreaterThanOrEqual(1);
    expect(matrix.rows.filter((r) => !r.divergent).length).toBe(matrix.rows.length - Object.keys(divergent).length);
    expect(matrix.rows.find((r) => r.id === 'auth.missing.listDirectories')!.divergent).toBe(false);

    const md = readFileSync(join(out.dir, 'matrix.md'), 'utf8');
    const section = md.split('## Divergences')[1]!.split('## All checks')[0]!;
    expect(section).toContain('| ≠ | ` hdr.prefix.lowercase ` | OBSERVE | observed ` 401 Invalid API key ` | observed ` 200 ` |');
    expect(section).toContain('| ≠ | ` hdr.copying.token-case ` | MUST | pass ` 401 Invalid API key ` | **fail** ` 200 ` |');
    expect(section.split('\n').filter((l) => l.startsWith('| ≠'))).toHaveLength(matrix.summary.divergent);
    expect(out.stdout).toMatch(/≠ hdr\.prefix\.lowercase \[OBSERVE\]/);
  });

  test('a faithful server against one that breaks a single clause: only that clause\'s checks diverge; pass against not-verified is apart', async () => {
    const broken = await run('missing401');
    const noQuota = await runInProcess(['--target', mocks.get('clean')!.url], cleanEnv({ FFMPEG_API_KEY: MOCK_ENV.FFMPEG_API_KEY }));
    const out = await runInProcess(['--compare', join(clean.dir, 'report.json'), '--compare', join(broken.dir, 'report.json'), '--compare', join(noQuota.dir, 'report.json')]);
    expect(out.code, out.stderr).toBe(1);
    const matrix = JSON.parse(readFileSync(join(out.dir, 'matrix.json'), 'utf8')) as Matrix;
    const report = broken.report();
    const failed = report.checks.filter((c) => c.verdict === 'fail');
    // The one broken clause: its own checks and those whose expected answer it documents.
    expect(new Set(failed.map((c) => c.answerClause ?? c.clause))).toEqual(new Set(['auth.missing-header']));
    // Divergent: every failed check, and the checks that accept that clause's answer among others
    // (a key under another header name: 400 missing or 401 invalid) and now get the other one.
    const divergent = matrix.rows.filter((r) => r.status === 'divergent').map((r) => r.id);
    expect(divergent).toEqual(expect.arrayContaining(failed.map((c) => c.id)));
    const missingAnswer = failed[0]!.expected;
    for (const id of divergent) expect(report.checks.find((c) => c.id === id)!.expected, id).toContain(missingAnswer);
    // The quota and revoked-key checks: verified on two targets, not on the third (no such keys).
    const apart = matrix.rows.filter((r) => r.status === 'not-comparable').map((r) => r.id);
    expect(apart.length).toBeGreaterThan(0);
    expect(apart.filter((id) => !/^auth\.(quota|revoked)\./.test(id))).toEqual([]);
    expect(out.stdout).toMatch(/^DIVERGENT — \d+ of \d+ checks diverge across 3 targets; \d+ not comparable$/m);
    const html = readFileSync(join(out.dir, 'matrix.html'), 'utf8');
    expect(html.match(/<tr data-id="[^"]+" data-status="divergent"/g)).toHaveLength(divergent.length * 2); // the divergences, and again in the table of all
  });

  test('a report compared with itself has no divergence (exit 0); one report alone is bad input (exit 2)', async () => {
    const path = join(clean.dir, 'report.json');
    const same = await runInProcess(['--compare', path, '--compare', path]);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout).toMatch(/SAME — 0 of \d+ checks diverge across 2 targets/);
    const alone = await runInProcess(['--compare', path]);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/--compare needs at least two report\.json files/);
  });
});
