// The benchmark's baseline: a bare node:http server answering GET /directory as the reference mock
// answers it for the valid key (same status, headers and body), without checking anything.
import { Buffer } from 'node:buffer';
import http from 'node:http';
import process from 'node:process';

// The spec's example answer, which the mock serves (the benchmark checks that the two answers are identical).
const body = JSON.stringify({ ok: true, directories: [{ id: 'dir_123', ttl: 86400, added_on: '2024-01-01' }] });
const headers = { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' };
const server = http.createServer((req, res) => res.writeHead(200, headers).end(body));
server.listen(0, '127.0.0.1', () => process.stdout.write(`bare node:http listening on http://127.0.0.1:${server.address().port}\n`));
process.once('SIGTERM', () => server.close(() => process.exit(0)));
