// Is a documented operation there at all? A server that implements part of the API (a team's mock
// of one operation, a gateway that routes some) answers the others 404, 405 or 501 whatever the
// key. That is one finding (api.operations-served), not a failure of every auth check it sends.
import { isErrorEnvelope, type Contract, type ErrorEnvelope, type Operation } from '../core/spec.js';
import type { Probe } from './catalog.js';
import type { Exchange } from './judge-types.js';

/** What a router answers for a route or method it does not have. */
export const ABSENT: ReadonlySet<number> = new Set([404, 405, 501]);

/** An answer in the API's own error shape about something other than its auth ({"ok":false,"error":"File not found"}). */
function apiShaped(envelope: ErrorEnvelope, ex: Exchange): boolean {
  const r = ex.response!;
  let body: unknown;
  try {
    body = JSON.parse(r.body);
  } catch {
    return false;
  }
  return /json/i.test(r.headers['content-type'] ?? '') && isErrorEnvelope(envelope, body);
}

/**
 * The operations not implemented at the target, with the evidence ("404 to all 5 requests"), from
 * the answers to each operation's own requests (its auth matrix: suites/catalog.ts). Operations
 * without answers are not judged.
 */
export function missingOperations(contract: Contract, answers: Array<{ probe: Probe; exchange: Exchange }>): Map<string, string> {
  const missing = new Map<string, string>();
  for (const op of contract.operations) {
    const own = answers.filter((a) => a.probe.operationId === op.operationId && a.exchange.response);
    if (!own.length) continue;
    const statuses = [...new Set(own.map((a) => a.exchange.response!.status))];
    if (own.every((a) => ABSENT.has(a.exchange.response!.status))) {
      missing.set(op.operationId, `${statuses.join('/')} to all ${own.length} of its requests, with and without a key`);
      continue;
    }
    const valid = own.find((a) => a.probe.credential === 'valid');
    const others = own.filter((a) => a !== valid);
    if (valid && ABSENT.has(valid.exchange.response!.status) && !apiShaped(contract.errorEnvelope, valid.exchange) && others.length && others.every((a) => documentedStatus(op, a.exchange)))
      missing.set(op.operationId, `${valid.exchange.response!.status} to the valid key, outside the API's error shape, after its other requests got their documented answers`);
  }
  return missing;
}

const documentedStatus = (op: Operation, ex: Exchange) => String(ex.response!.status) in op.responses;

export const describeOperation = (contract: Contract, id: string): string => {
  const op = contract.operations.find((o) => o.operationId === id)!;
  return `${op.method} ${op.path} (${id})`;
};
