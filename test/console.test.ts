// The console: findings grouped by clause lead the summary (as in report.md and report.html), colour only where it belongs
// (a terminal, or FORCE_COLOR; never with NO_COLOR), and progress on a terminal from the start.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startMock, type RunningMock } from '../mock/server.js';
import { loadContract } from '../core/spec.js';
import { buildCatalog } from '../suites/catalog.js';
import { cleanEnv, MOCK_ENV, runCli } from './helpers.js';

const ESC = '\u001b';
let mock: RunningMock;
let total: number;
// A request without a header answered 401: every operation's missing-header check and every
// placement probe (the key elsewhere than the header, so no header) fail.
let broken: number;
beforeAll(async () => {
  mock = await startMock({ faults: ['missing-header-401'] });
  const catalog = buildCatalog(await loadContract());
  total = catalog.length;
  broken = catalog.filter((c) => c.id.startsWith('auth.missing.') || c.id.startsWith('hdr.placement.')).length;
});
afterAll(() => mock.close());

test('a server that answers 401 without a header: one finding for auth.missing-header names all its failing checks, before the counts', async () => {
  const run = await runCli(['--target', mock.url], cleanEnv(MOCK_ENV));
  expect(run.code, run.stderr).toBe(1);
  const failed = run.report().checks.filter((c) => c.verdict === 'fail').map((c) => c.id);
  expect(failed).toHaveLength(broken);
  const summary = run.stdout.slice(run.stdout.indexOf('\n  FINDINGS'));
  expect(summary.split('\n').slice(1, 4)).toEqual([
    '  FINDINGS (1 clause):',
    `    ✗ auth.missing-header (MUST) — ${broken} checks: expected 400 {"ok":false,"error":"Missing Authorization header"}, got 401 {"ok":false,"error":"Invalid API key"}`,
    `        ${failed.join(', ')}`,
  ]);
  expect(summary.indexOf('FINDINGS')).toBeLessThan(summary.indexOf('  MUST '));
  // Each failure's expected and observed answers are printed once, in the finding.
  expect(run.stdout.split('Missing Authorization header').length - 1).toBe(1);
  expect(run.stdout + run.stderr).not.toContain(ESC); // a pipe: no colour

  // Every view: one finding for the clause, naming its failing checks.
  const md = readFileSync(join(run.dir, 'report.md'), 'utf8');
  expect(md.match(/^### .*$/gm)).toEqual([`### 1. FAIL \` auth.missing-header \` (MUST) — ${broken} checks`]);
  expect(md).toContain(`- **Checks:** ${failed.map((id) => `\` ${id} \``).join(', ')}`);
  const html = readFileSync(join(run.dir, 'report.html'), 'utf8');
  const findings = html.match(/<li class="finding" data-clause="([^"]+)">.*?<\/li>/gs) ?? [];
  expect(findings).toHaveLength(1);
  expect(findings[0]).toContain('data-clause="auth.missing-header"');
  expect([...findings[0]!.matchAll(/href="#check-([^"]+)"/g)].map((m) => m[1])).toEqual(failed);
});

test('NO_COLOR=1 output has no escape codes, even with FORCE_COLOR; FORCE_COLOR alone colours the verdict and the FAIL markers', async () => {
  const plain = await runCli(['--target', mock.url], cleanEnv({ ...MOCK_ENV, NO_COLOR: '1', FORCE_COLOR: '1' }));
  expect(plain.code).toBe(1);
  expect(plain.stdout + plain.stderr).not.toContain(ESC);
  const forced = await runCli(['--target', mock.url], cleanEnv({ ...MOCK_ENV, FORCE_COLOR: '1' }));
  expect(forced.stdout).toContain(`${ESC}[1m${ESC}[31mNOT CONFORMANT (MUST failures)${ESC}[39m${ESC}[22m`);
  expect(forced.stdout).toMatch(new RegExp(`${ESC}\\[31m✗${ESC}\\[39m hdr\\.placement\\.body \\[MUST\\] ${ESC}\\[31mFAIL`));
});

test('on a terminal: coloured, and a progress line is drawn before the first check has finished', async () => {
  // A user's terminal: one that says it has colour, and no CI variable (Node turns colour off under CI).
  const env = cleanEnv({ ...MOCK_ENV, TERM: 'xterm-256color' });
  delete env.CI;
  const run = await runCli(['--target', mock.url], env, { tty: true });
  expect(run.code, run.stdout).toBe(1);
  const first = run.stdout.indexOf(`… 0 of ${total} checks done, `);
  expect(first).toBeGreaterThan(-1);
  expect(first).toBeLessThan(run.stdout.indexOf('✗'));
  expect(run.stdout).toContain(`${ESC}[31mFAIL`);
  // The progress line is cleared before the summary: the verdict line starts a clean line.
  expect(run.stdout).toMatch(/\r?\n\u001b\[1m\u001b\[31mNOT CONFORMANT/);
});
