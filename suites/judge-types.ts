// What a judge is given and what it returns: the one signature of every judge (the registry is
// suites/judges.ts).

import type { HarnessError } from '../core/http/errors.js';
import type { HttpRequest, HttpResponse } from '../core/http/types.js';
import type { KeyParts } from './keyforms.js';
import type { Probe, Unverifiable, Check } from './catalog.js';
import type { Finding } from '../core/results.js';
import type { Contract } from '../core/spec.js';
import type { SecretFinder } from '../core/secrets.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';

/** What happened to one request: its answer, or why there was none. */
export interface Exchange {
  request: HttpRequest;
  response?: HttpResponse;
  error?: HarnessError;
  /** The credential value that was sent, kept only in memory to look for echoes. */
  sent?: KeyParts;
  /** The setup requests whose answers this request was built from, in order ("POST /directory"). */
  chain?: string[];
  /** When it was sent and settled (ms since the epoch): whether other credentials were answered meanwhile. */
  timing?: { start: number; end: number };
}

export interface Answer {
  probe: Probe;
  exchange: Exchange & { response: HttpResponse };
}

type JudgedVerdict = 'pass' | 'fail' | 'observed' | 'not-verified' | 'error';

export interface Judgement {
  verdict: JudgedVerdict;
  findings: Finding[];
  /** A short comparable label of what the target did: the status and the error text of its body. */
  outcome?: string;
  /** Why not verified, or why it errored. */
  reason?: string;
  /** Not verified: the cause and what would verify it (reporters/model.ts CheckResult.cause). */
  gap?: Omit<Unverifiable, 'reason'>;
  /** An aggregate: the probes of its evidence out of the run's scope, which it did not see. */
  unseen?: string[];
  /** The exchange the report shows (the first offending one, or the only one). */
  shown?: Exchange;
}

export interface JudgeContext {
  contract: Contract;
  validator: (operationId: string, status: string) => ValidateFunction;
  /** The bytes the suite reads of a body at most. */
  maxBodyBytes: number;
  /** The key a key-injecting backend adds (its variable's value), if set: searched for, never sent. */
  injectedKey?: KeyParts;
  /** The run's secrets to look for in what a target sent (the echo and leak judges). */
  secrets: SecretFinder;
}

export interface Judge {
  /** What the check expects, in the contract's words; derived from the spec where the spec says it. */
  expected(check: Check, contract: Contract): string;
  /** Judges the answers (one for a single probe; several in order for a sequence or an aggregate). */
  judge(check: Check, answers: Answer[], ctx: JudgeContext): Judgement;
  /** An aggregate: judged over every answer its probes got (some may be missing). */
  aggregate?: boolean;
  /** Aggregates: which answers it judges; none at all is not-verified. */
  only?: (a: Answer) => boolean;
  /** Records what the target does and never judges it: the judge of OBSERVE clauses. */
  observes?: boolean;
  /** Single probes: no answer at all (refused, reset, timeout) may be the wanted outcome. */
  noAnswer?: (e: HarnessError) => Judgement | undefined;
  /**
   * Single probes of a malformed request: a connection closed without an answer is a refusal, when
   * a well-formed request on a fresh connection right after is answered (suites/engine.ts sends it).
   */
  closingRefuses?: boolean;
}
