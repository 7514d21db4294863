// Documentation drift, observed (public-api-facts.md:25-35): what a target does under /v1, and its
// own /openapi.json against the contract, recorded in the report without judging it.
import http from 'node:http';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { cleanEnv, listenLocal, MOCK_ENV, runInProcess } from './helpers.js';

/** A provider that moved: /v1 answers, and its document lists one operation of the contract, plus one of its own. */
const PUBLISHED = {
  openapi: '3.1.0',
  paths: {
    '/directory': { get: { parameters: [{ $ref: '#/components/parameters/Authorization' }] } },
    '/v1/file': { post: { parameters: [{ in: 'header', name: 'Authorization', required: true }] } },
  },
  components: { parameters: { Authorization: { in: 'header', name: 'Authorization', required: true, description: 'Format: Basic <key>' } } },
};

let server: http.Server;
let url: string;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    const [status, body] = req.url === '/openapi.json' ? [200, PUBLISHED] : req.url === '/v1/directory' ? [200, { ok: true, directories: [] }] : [404, { ok: false, error: 'no' }];
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  url = await listenLocal(server);
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('the /v1 prefix and the published document are recorded (OBSERVE), with the operations missing on either side', async () => {
  const run = await runInProcess(['--target', url, '--only', 'drift'], cleanEnv(MOCK_ENV));
  const checks = Object.fromEntries(run.report().checks.map((c) => [c.id, c]));
  expect(checks['drift.v1-prefix']).toMatchObject({ verdict: 'observed', level: 'OBSERVE', outcome: '200' });
  expect(checks['drift.openapi-document']).toMatchObject({ verdict: 'observed', level: 'OBSERVE' });
  expect(checks['drift.openapi-document']!.outcome).toBe(
    '200 OpenAPI 3.1.0; missing there: POST /directory, GET /directory/{dirId}, POST /file, POST /ffmpeg/process, POST /ffmpeg/run; ' +
      'not in the contract: POST /v1/file; Authorization: required header parameter (2)',
  );
});

test('the bundled mock publishes its own spec: nothing missing on either side', async () => {
  const run = await runInProcess(['--only', 'drift'], cleanEnv());
  expect(run.report().checks.find((c) => c.id === 'drift.openapi-document')?.outcome).toBe(
    '200 OpenAPI 3.1.0; missing there: none; not in the contract: none; Authorization: security scheme (6)',
  );
});
