// The result of one check, as the suites produce it and every view reads it: the types that
// suites/ and reporters/ share (the report around them is reporters/model.ts).

import type { Level } from './spec.js';
import type { ThrottleStats } from './http/transport.js';

export type FindingKind =
  | 'status' | 'error-text' | 'schema' | 'content-type' | 'not-json' | 'unread-body'
  | 'echo' | 'server-error' | 'not-served' | 'replay' | 'cache-headers' | 'hsts' | 'served-over-http' | 'redirect' | 'key-leak' | 'error-shape'
  // a finding about the caller, never the server (suites/client-judges.ts)
  | 'client';

/** One thing a target did wrong, in the contract's words. */
export interface Finding {
  kind: FindingKind;
  /** Expected, then observed: "expected 400 {...}, got 401 {...}". */
  message: string;
  /** The request it is about (aggregate checks): the probe's key, method and path. */
  probe?: string;
  status?: number;
  /** Schema findings: where in the body, and the JSON Schema keyword that failed. */
  path?: string;
  keyword?: string;
}

/**
 * pass: the target meets the check. fail: the target broke the contract. error: our harness or
 * the network broke, so nothing is known. not-verified: a key, capability or budget was missing.
 * observed: an OBSERVE check recorded what the target does; it is never judged.
 */
export type Verdict = 'pass' | 'fail' | 'error' | 'not-verified' | 'observed';

export const VERDICTS: readonly Verdict[] = ['pass', 'fail', 'error', 'not-verified', 'observed'];

/** One clause of the contract as a report carries it (report.json `clauses`): its checks refer to it by id. */
export interface ClauseEntry {
  id: string;
  level: Level;
  /** The guide's (or the RFC's) sentence, quoted. */
  quote: string;
  /** Where the sentence is: file and line. */
  source: string;
}

export interface CheckResult {
  id: string;
  clause: string;
  level: Level;
  group: string;
  title: string;
  verdict: Verdict;
  /** The judge that ruled (suites/judges.ts). */
  judge: string;
  expected: string;
  /** A short comparable label of what the target did: the status and the error text of its body. */
  outcome?: string;
  /**
   * The clause that documents the expected answer, when it is not the check's own: a key in the
   * query string is answered as a missing header (auth.missing-header). A failure that this clause's
   * own checks share is one broken clause, not two (see groupFindings).
   */
  answerClause?: string;
  /**
   * An aggregate check: the requests of its evidence it did not see because they were out of this
   * run's scope (a key, capability or setting not configured; left out by --skip), by probe key.
   */
  unseen?: string[];
  /** Why it failed (its findings, one per line) or errored. */
  message?: string;
  /** What the target did wrong, each in the contract's words (expected, then observed). */
  findings?: Finding[];
  /** Why it was not verified. */
  reason?: string;
  /**
   * Not verified, because: inapplicable (another profile or scheme: not part of this target's
   * contract); scope (a key, capability or setting was not configured: a declared gap, `remedy`
   * says what verifies it); budget (--max-requests); key-rejected (the target refused the valid key);
   * interrupted (the run was stopped before the check finished).
   */
  cause?: GapCause;
  /** The kind of gap, for the summary: quota, revoked key, writes, https, proxy, ... */
  category?: string;
  /** The variable or flag that would verify it. */
  remedy?: string;
  exchange?: {
    request: { method: string; url: string; transport: string; headers: string[] };
    response?: { status: number; contentType: string | null; headers?: Record<string, string>; body: string; bodyTruncated: boolean; ms: number };
  };
  durationMs: number;
}

export type GapCause = 'inapplicable' | 'scope' | 'budget' | 'key-rejected' | 'interrupted';

/** What a check leaves in its vitest task meta: its result, and how throttled the run was by then. */
export interface CheckMeta {
  result: CheckOutcome;
  throttle: ThrottleStats;
}

/** A check's result before its duration is known: what the suites hand to the report. */
export type CheckOutcome = Omit<CheckResult, 'durationMs'>;
