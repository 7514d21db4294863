// Renaming or removing an operation is a spec edit too: a copy of the spec in which the guide's
// test request (listDirectories) is renamed, x-roles following it, and the deprecated runCommand
// is removed, run with --spec COPY against the mock started from the same copy, gives every other
// check the verdict the bundled spec gives it. And a role that names no operation is a one-line
// error at load (exit 2), not a run that stops halfway.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startMock, type RunningMock } from '../mock/server.js';
import { lintSpec, specCopy } from './spec-lint.js';
import { cleanEnv, MOCK_ENV, runInProcess } from './helpers.js';

const RENAMED = 'listFolders';
/** The copy: listDirectories renamed everywhere (its operationId, x-roles), POST /ffmpeg/run removed. */
const edit = (t: string): string => {
  const from = t.indexOf('  /ffmpeg/run:\n');
  const to = t.indexOf('\ncomponents:\n');
  expect(from > 0 && to > from).toBe(true);
  return (t.slice(0, from) + t.slice(to + 1)).replaceAll('listDirectories', RENAMED);
};

let copy: string;
let mocks: { bundled: RunningMock; copy: RunningMock };
beforeAll(async () => {
  copy = specCopy(edit);
  mocks = { bundled: await startMock(), copy: await startMock({ spec: copy }) };
});
afterAll(async () => {
  await mocks?.bundled.close();
  await mocks?.copy.close();
});

test('the copy keeps every rule of the spec lint', async () => {
  expect(await lintSpec(copy)).toEqual([]);
});

test('a run with the copy gives every remaining check the verdict the bundled spec gives it', { timeout: 240_000 }, async () => {
  const bundled = await runInProcess(['--target', mocks.bundled.url], cleanEnv(MOCK_ENV));
  expect(bundled.code, bundled.stdout + bundled.stderr).toBe(0);
  const renamed = await runInProcess(['--target', mocks.copy.url, '--spec', copy], cleanEnv(MOCK_ENV));
  expect(renamed.code, renamed.stdout + renamed.stderr).toBe(0);
  const verdicts = (checks: Array<{ id: string; verdict: string }>) => Object.fromEntries(checks.map((c) => [c.id, c.verdict]));
  // The bundled run's ids as the copy names them: runCommand's checks gone, listDirectories' renamed.
  const expected = Object.fromEntries(
    Object.entries(verdicts(bundled.report().checks))
      .filter(([id]) => !id.endsWith('.runCommand'))
      .map(([id, verdict]) => [id.replace(/\.listDirectories$/, `.${RENAMED}`), verdict]),
  );
  const got = verdicts(renamed.report().checks);
  expect(got).toEqual(expected);
  // what the renamed operation plays a part in still runs, against it
  expect(got[`auth.valid.${RENAMED}`]).toBe('pass');
  expect(got['cache.replay']).toBe('pass');
  expect(Object.keys(got).filter((id) => id.includes('runCommand'))).toEqual([]);
  expect(renamed.report().checks.find((c) => c.id === 'hdr.prefix.bearer')?.exchange?.request.url).toBe(`${mocks.copy.url}/directory`);
});

test('x-roles naming an operation the spec does not define is a one-line error, exit 2', async () => {
  const bad = specCopy((t) => t.replace('  testRequest: listDirectories\n', '  testRequest: listFolders\n'));
  const run = await runInProcess(['--target', mocks.bundled.url, '--spec', bad, '--plan'], cleanEnv(MOCK_ENV));
  expect(run.code).toBe(2);
  expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/x-roles\.testRequest names operation listFolders, which the spec does not define/)]);
});
