// Adding an operation is a spec edit: a copy of the spec with one more operation, run with
// --spec COPY against the mock started from the same copy, gets the operation's auth matrix, its
// plan rows and the mock's answers from the spec alone, and is conformant. No code changes.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startMock, DEFAULT_KEYS, type RunningMock } from '../mock/server.js';
import { lintSpec, specCopy } from './spec-lint.js';
import { cleanEnv, MOCK_ENV, runInProcess } from './helpers.js';

const TASK = `  /ffmpeg/task/{taskId}:
    get:
      operationId: getTask
      summary: The state of a processing task
      x-writes: false
      parameters:
        - name: taskId
          in: path
          required: true
          schema: { type: string }
          example: task_42
      responses:
        '200':
          description: The task
          x-clause: auth.valid-key
          x-credential: valid
          content:
            application/json:
              schema:
                type: object
                required: [ok, task]
                properties: { ok: { const: true }, task: { type: object, required: [id], properties: { id: { const: task_42 } } } }
              example: { ok: true, task: { id: task_42, state: done } }
        '400': { $ref: '#/components/responses/MissingAuthorization' }
        '401': { $ref: '#/components/responses/InvalidApiKey' }
        '403': { $ref: '#/components/responses/QuotaExceeded' }
`;

let copy: string;
let mock: RunningMock;
beforeAll(async () => {
  copy = specCopy((t) => t.replace('\ncomponents:\n', `\n${TASK}\ncomponents:\n`));
  mock = await startMock({ spec: copy });
});
afterAll(() => mock?.close());

test('the copy keeps every rule of the spec lint', async () => {
  expect(await lintSpec(copy)).toEqual([]);
});

test("the mock started from the copy answers the new operation from the copy's examples and error answers", async () => {
  const get = async (authorization?: string) => {
    const r = await fetch(`${mock.url}/ffmpeg/task/task_42`, { headers: authorization ? { authorization } : {} });
    return [r.status, await r.json()];
  };
  expect(await get(DEFAULT_KEYS.valid)).toEqual([200, { ok: true, task: { id: 'task_42', state: 'done' } }]);
  const [status, body] = await get();
  expect([status, body]).toEqual([400, { ok: false, error: 'Missing Authorization header' }]); // authentication-guide.txt:52-53
  expect((await get(DEFAULT_KEYS.quota))[0]).toBe(403);
});

test('--plan lists its auth matrix with the example in the path, and a run against that mock is conformant', { timeout: 180_000 }, async () => {
  const plan = await runInProcess(['--target', mock.url, '--spec', copy, '--plan'], cleanEnv(MOCK_ENV));
  expect(plan.code, plan.stderr).toBe(0);
  const rows = plan.stdout.split('\n').filter((l) => l.includes('/ffmpeg/task/{taskId}'));
  for (const role of ['(none)', '(a throwaway invalid key)', 'FFMPEG_API_KEY', 'FFMPEG_API_QUOTA_EXCEEDED_KEY', 'FFMPEG_API_REVOKED_KEY'])
    expect(rows.some((r) => r.includes(role)), `${role} in\n${rows.join('\n')}`).toBe(true);
  const run = await runInProcess(['--target', mock.url, '--spec', copy], cleanEnv(MOCK_ENV));
  expect(run.code, run.stdout + run.stderr).toBe(0);
  const checks = run.report().checks.filter((c) => c.id.endsWith('.getTask'));
  expect(checks.map((c) => [c.id, c.verdict]).sort()).toEqual(
    ['auth.invalid', 'auth.missing', 'auth.quota', 'auth.revoked', 'auth.valid', 'response.json'].map((id) => [`${id}.getTask`, 'pass']),
  );
  const valid = run.report().checks.find((c) => c.id === 'auth.valid.getTask');
  expect(valid?.exchange?.request.url).toBe(`${mock.url}/ffmpeg/task/task_42`);
});
