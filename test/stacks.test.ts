// Real Basic-auth middleware, as a server built on it would use it: @fastify/basic-auth and
// express-basic-auth guarding a stand-in of the API (the bundled mock behind them, as a backend
// that trusts the middleware), with a key shaped base64("user:password"). Both decode the token
// before comparing, so they accept other strings than the key: the run must say NOT CONFORMANT and
// name the unpadded-key and unused-bits checks (auth.copying).
import http from 'node:http';
import fastifyBasicAuth from '@fastify/basic-auth';
import express from 'express';
import basicAuth from 'express-basic-auth';
import Fastify from 'fastify';
import { expect, test } from 'vitest';
import { createMockServer } from '../mock/server.js';
import { FAULT_ENV, FAULT_KEYS } from './fault-runs.js';
import { cleanEnv, failing, listenLocal, namedTarget, runInProcess } from './helpers.js';

const [USER, PASSWORD] = Buffer.from(FAULT_KEYS.valid.slice('Basic '.length), 'base64').toString('latin1').split(/:(.*)/s) as [string, string];
const INVALID = { ok: false, error: 'Invalid API key' };
const MISSING = { ok: false, error: 'Missing Authorization header' };

/** The API behind the middleware: answers as the valid key would be answered (the middleware already decided). */
const backend = () => createMockServer({ keys: FAULT_KEYS, injectKey: true }).listeners('request')[0] as http.RequestListener;

/** A stand-in listening on loopback, and its URL. */
interface StandIn {
  server: http.Server;
  url: string;
}

async function fastifyServer(): Promise<StandIn> {
  const app = Fastify();
  const api = backend();
  await app.register(fastifyBasicAuth, {
    validate: async (user: string, password: string) => {
      if (user !== USER || password !== PASSWORD) throw new Error('Invalid API key');
    },
    authenticate: false,
  });
  app.setErrorHandler((_e, _req, reply) => void reply.code(401).send(INVALID));
  app.addHook('onRequest', async (req, reply) => {
    if (req.headers.authorization === undefined) return reply.code(400).send(MISSING);
  });
  app.addHook('onRequest', app.basicAuth);
  app.addHook('onRequest', (req, reply, done) => {
    reply.hijack();
    api(req.raw, reply.raw);
    done();
  });
  app.all('/*', () => undefined); // every path reaches the hooks
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { server: app.server, url };
}

async function expressServer(): Promise<StandIn> {
  const app = express();
  app.use((req, res, next) => (req.headers.authorization === undefined ? void res.status(400).json(MISSING) : next()));
  app.use(basicAuth({ users: { [USER]: PASSWORD }, unauthorizedResponse: INVALID }));
  app.use(backend());
  const server = http.createServer(app);
  return { server, url: await listenLocal(server) };
}

test.for([
  ['@fastify/basic-auth', fastifyServer],
  ['express-basic-auth', expressServer],
] as const)('a server on %s with a user:password key is NOT CONFORMANT: the unpadded and unused-bits keys are accepted', async ([, start]) => {
  const { server, url } = await start();
  try {
    // first, the stand-in does what it is meant to: the key is accepted, a wrong one refused
    const ask = (authorization: string) => fetch(`${url}/directory`, { headers: { authorization } }).then(async (r) => [r.status, await r.json()] as const);
    expect((await ask(FAULT_KEYS.valid))[0]).toBe(200);
    expect(await ask('Basic d3Jvbmc6a2V5')).toEqual([401, INVALID]);
    // the stand-in does not model quota: that gap is declared, not failed
    const run = await runInProcess([...namedTarget({ url, capabilities: { quotaKey: false } })], cleanEnv(FAULT_ENV));
    expect(run.code, run.stdout).toBe(1);
    expect(run.stdout).toMatch(/NOT CONFORMANT/);
    // only probes of auth.copying that keep the decoded bytes: without them the stand-in passed as CONFORMANT
    expect(failing(run.report()).sort()).toEqual(['hdr.copying.base64url', 'hdr.copying.reencoded', 'hdr.copying.unpadded', 'hdr.copying.unused-bits']);
    expect(run.stdout).toMatch(/hdr\.copying\.unpadded/);
    expect(run.stdout).toMatch(/hdr\.copying\.unused-bits/);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
