// --only, --skip and --operation: which checks of the catalog a run plans, sends and reports, and --list.
// A pattern (globs: * and ?) matches a check by its id, its clause id, its group or its level.
// --skip also means "do not send it": a skipped check's request is left out of the evidence of
// the aggregate checks that would have judged it, and they say so.
import type { Target } from '../core/config.js';
import type { Contract } from '../core/spec.js';
import { nearest } from '../core/suggest.js';
import { probesOf, type Check } from './catalog.js';
import type { KeyRole } from '../core/targets.js';

export interface Selection {
  only: string[];
  skip: string[];
  /** --operation: the spec's operationIds; only checks that send to them (aggregates narrowed to them). */
  operations?: string[];
}

const glob = (pattern: string): RegExp =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');

const matcher = (patterns: string[]) => {
  const res = patterns.map(glob);
  return (c: Check) => res.some((re) => [c.id, c.clause.id, c.group, c.level].some((name) => re.test(name)));
};

/** The patterns that select nothing: a typo should not silently run zero checks. */
export function unmatched(catalog: readonly Check[], patterns: string[]): string[] {
  return patterns.filter((p) => !catalog.some(matcher([p])));
}

/** A selection as the flags that made it: "--only a --skip b --operation c". */
export const selectionFlags = ({ only, skip, operations = [] }: Selection): string[] => [
  ...only.map((p) => `--only ${p}`),
  ...skip.map((p) => `--skip ${p}`),
  ...operations.map((o) => `--operation ${o}`),
];

/** An --operation that names no operation of the spec: the one-line error, with the nearest name. */
export function unknownOperation(contract: Contract, operations: string[]): string | undefined {
  const ids = contract.operations.map((o) => o.operationId);
  const wrong = operations.find((o) => !ids.includes(o));
  if (wrong === undefined) return undefined;
  const near = nearest(wrong, ids);
  const hint = near ? `did you mean ${near}? ` : '';
  return `--operation ${wrong} is no operationId of the spec: ${hint}(one of ${ids.join(', ')})`;
}

/**
 * --operation: the checks whose every request goes to the named operations (the catalog knows each
 * probe's operation, so hdr.placement.body follows POST /file); aggregates keep only their requests
 * to those operations, and record the others as left out. Setup requests of a chain still go first.
 */
function byOperation(catalog: Check[], operations: string[]): Check[] {
  if (!operations.length) return catalog;
  const ours = (p: { operationId: string }) => operations.includes(p.operationId);
  return catalog.flatMap((c): Check[] => {
    if (!c.over) return probesOf(c).every(ours) ? [c] : [];
    const left = c.over.filter(ours);
    if (!left.length) return [];
    return left.length < c.over.length ? [{ ...c, over: left, narrowed: [...(c.narrowed ?? []), ...c.over.filter((p) => !ours(p)).map((p) => p.key)] }] : [c];
  });
}

/** The catalog narrowed by a selection; aggregates lose the requests of skipped checks and record which. */
export function select(all: Check[], { only, skip, operations = [] }: Selection): Check[] {
  const catalog = byOperation(all, operations);
  const wanted = only.length ? matcher(only) : () => true;
  const skipped = matcher(skip);
  const kept = catalog.filter((c) => wanted(c) && !(skip.length && skipped(c)));
  if (!skip.length) return kept;
  const keptProbes = new Set(kept.filter((c) => c.probe).map((c) => c.probe!.key));
  const dropped = new Set(catalog.filter((c) => c.probe && skipped(c) && !keptProbes.has(c.probe.key)).map((c) => c.probe!.key));
  return kept.map((c) => {
    const left = c.over?.filter((p) => !dropped.has(p.key));
    return c.over && left!.length < c.over.length ? { ...c, over: left, narrowed: c.over.filter((p) => dropped.has(p.key)).map((p) => p.key) } : c;
  });
}

/** What a check needs to be verified: key variables, capabilities, profile, scheme. */
function needsOf(c: Check, target: Target, contract: Contract): string[] {
  const roles = new Set(probesOf(c).map((p) => p.credential).filter((r): r is KeyRole => r !== 'none' && r !== 'wrong'));
  const needs = [...roles].map((r) => target.credentials[r]);
  const writes = probesOf(c).some((p) => p.credential === 'valid' && contract.operations.find((o) => o.operationId === p.operationId)?.writes);
  if (writes) needs.push('writes (--allow-writes)');
  if (roles.has('quota')) needs.push('capabilities.quotaKey');
  needs.push(`profile ${(c.profiles ?? ['direct']).join('|')}`);
  if (c.https) needs.push('https');
  return needs;
}

/** `--list`: every check with its clause, level, judge and what it needs. */
export function listLines(catalog: readonly Check[], target: Target, contract: Contract): string[] {
  const rows = catalog.map((c) => [c.id, c.clause.id, c.level, c.judge, needsOf(c, target, contract).join(', ')]);
  const head = ['CHECK', 'CLAUSE', 'LEVEL', 'JUDGE', 'NEEDS'];
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((cell, i) => (i < r.length - 1 ? cell.padEnd(width[i]!) : cell)).join('  ');
  return [line(head), ...rows.map(line), '', `${catalog.length} checks. Judges: suites/judges.ts; clauses: spec/openapi.yaml x-clauses.`];
}
