// The command's first requests, before any check (src/cli.ts; test/fault-runs.ts runs it in-process).
import type { Config } from './config.js';
import { UsageError } from './errors.js';
import { HarnessError, Transport, type ThrottleStats } from './http.js';
import { preflightCredential } from './plan.js';
import { responseFor, type Contract } from './spec.js';

/**
 * Two requests at once before any check: GET /directory without a key — is the target reachable?
 * A target that gives no HTTP answer at all (refused, silent, not HTTP, TLS trouble) ends the run
 * with exit 2 — and the guide's own test request (GET /directory with the valid key,
 * authentication-guide.txt:66-71): a target that refuses the key (401, 403) is not judged on it;
 * the returned line says so, and the checks that need an accepted key are not verified.
 */
export async function preflight(config: Config, contract: Contract, env: NodeJS.ProcessEnv = process.env): Promise<{ keyRejected?: string; throttle: ThrottleStats; requests: number }> {
  const variable = preflightCredential({ target: config.target, env });
  const transport = new Transport(config.http);
  const url = new URL(`${config.target.url}/directory`);
  const ask = (headers: Array<[string, string]>) => transport.send({ method: 'GET', url, headers }).then((r) => r.status, (e: unknown) => (e instanceof HarnessError ? e : Promise.reject(e)));
  const [reach, keyed] = await Promise.all([ask([]), variable ? ask([['Authorization', env[variable]!]]) : undefined]);
  // One that answered, then broke off (or kept throttling), is reachable: the checks say the rest.
  if (reach instanceof HarnessError && reach.status === undefined) throw new UsageError(`cannot reach target ${config.target.url}: ${reach.message}`);
  const done = { throttle: transport.stats, requests: variable ? 2 : 1 };
  const listing = contract.operations.find((o) => o.method === 'GET' && o.path === '/directory');
  const refused = listing && typeof keyed === 'number' && [responseFor(listing, 'wrong')?.status, responseFor(listing, 'quota')?.status].includes(String(keyed));
  if (!refused) return done;
  return { ...done, keyRejected: `the target refused ${variable} (GET /directory answered ${keyed}): check if you regenerated your key in the dashboard (authentication-guide.txt:74); the checks that need an accepted key are not verified` };
}
