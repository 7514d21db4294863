// Issue 20: one answer cannot make unbounded work. An array of 80,000 wrong items yields a bounded
// number of findings and small reports; a body nested 100,000 deep is judged (NOT CONFORMANT), not
// an error of the suite. Time is measured by `npm run bench` (BENCHMARKS.md), never asserted here.
import http from 'node:http';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { capFindings, jsonDepth, MAX_FINDINGS } from '../suites/bounds.js';
import { cleanEnv, listenLocal, MOCK_ENV, runCli } from './helpers.js';
import type { Finding } from '../core/results.js';

const servers: http.Server[] = [];
afterAll(() => servers.forEach((s) => (s.closeAllConnections(), s.close())));

/** A target answering every request with `success` for the valid key and the documented 401 otherwise. */
async function answering(success: string): Promise<string> {
  const server = http.createServer((req, res) => {
    const ok = req.headers.authorization === MOCK_ENV.FFMPEG_API_KEY;
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(ok ? success : '{"ok":false,"error":"Invalid API key"}');
  });
  servers.push(server);
  return listenLocal(server);
}

describe('bounds', () => {
  test('capFindings keeps the first findings and counts the rest', () => {
    const many = Array.from({ length: 500 }, (_, i): Finding => ({ kind: 'schema', message: `body.directories.${i}: wrong` }));
    const kept = capFindings(many);
    expect(kept).toHaveLength(MAX_FINDINGS + 1);
    expect(kept[MAX_FINDINGS]!.message).toMatch(/and 480 more findings like these \(500 in all/);
    expect(capFindings(kept)).toBe(kept); // capping twice changes nothing
    expect(capFindings(many.slice(0, 3))).toHaveLength(3);
  });

  test('jsonDepth reads nesting without recursion, strings skipped', () => {
    expect(jsonDepth('{"a":[1,{"b":"[[[["}]}')).toBe(3);
    expect(jsonDepth('"\\"[[["')).toBe(0);
    expect(jsonDepth('['.repeat(1_000_000))).toBe(65); // stops past the limit
  });
});

const sizes = (dir: string) => Object.fromEntries(readdirSync(dir).filter((n) => statSync(join(dir, n)).isFile()).map((n) => [n, statSync(join(dir, n)).size]));

test('an 80,000-item success answer: a bounded number of findings, every report under 1 MiB', { timeout: 120_000 }, async () => {
  const target = await answering(JSON.stringify({ ok: true, directories: Array.from({ length: 80_000 }, () => 0) }));
  const run = await runCli(['--target', target, '--deadline', '60'], cleanEnv(MOCK_ENV), { timeoutMs: 110_000 });
  expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(1);
  const report = run.report();
  const documented = report.checks.filter((c) => (c.findings?.length ?? 0) > 0 && c.findings!.some((f) => f.kind === 'schema'));
  expect(documented.length).toBeGreaterThan(0);
  for (const c of report.checks) expect(c.findings?.length ?? 0, c.id).toBeLessThanOrEqual(MAX_FINDINGS + 1);
  const capped = documented.filter((c) => c.findings!.length === MAX_FINDINGS + 1);
  expect(capped.length).toBeGreaterThan(0);
  for (const c of capped) expect(c.findings!.at(-1)!.message, c.id).toMatch(/more findings like these \(800\d\d in all/);
  for (const [name, size] of Object.entries(sizes(run.dir))) expect(size, name).toBeLessThan(1024 * 1024);
});

test('a success body nested 100,000 deep: NOT CONFORMANT, judged by its depth, no stack overflow', { timeout: 120_000 }, async () => {
  const target = await answering(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
  const run = await runCli(['--target', target], cleanEnv(MOCK_ENV), { timeoutMs: 110_000 });
  expect(`${run.stdout}${run.stderr}${JSON.stringify(run.report())}`).not.toMatch(/Maximum call stack|RangeError/);
  expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(1);
  expect(run.stdout).toMatch(/NOT CONFORMANT/);
  const deep = run.report().checks.filter((c) => c.verdict === 'fail' && /nested more than 64 levels deep/.test(c.message ?? ''));
  expect(deep.length).toBeGreaterThan(0);
  expect(run.report().checks.filter((c) => c.verdict === 'error').map((c) => `${c.id}: ${c.message}`)).toEqual([]);
});
