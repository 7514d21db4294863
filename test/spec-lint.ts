// A lint of the contract, in the spirit of test262's linting harness: the rules a spec must keep
// for the suite to derive every request and expectation from it (test/spec-lint.test.ts runs it),
// and copies of the spec with an edit, for the tests that show a rule failing or an added operation.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { buildCatalog, probesOf, probeUnavailable } from '../suites/catalog.js';
import { clientChecks } from '../suites/client-judges.js';
import { type Target } from '../core/config.js';
import { CREDENTIAL_ROLES, DEFAULT_SPEC, loadContract, responseFor } from '../core/spec.js';
import { ROOT, tempDir } from './helpers.js';
import { KEY_VARS } from '../core/targets.js';

const SOURCES = join(ROOT, 'spec/sources');
const normalize = (s: string) => s.replace(/\s+/g, ' ').trim();
/** Every request requires an Authorization header (authentication-guide.txt:2-3): each operation documents each answer. */
const EVERY_REQUEST = { none: '400', wrong: '401', quota: '403', valid: '200' } as const;
/** A remote target that declares no writes, every key configured. */
const READ_ONLY: Target = { name: 'read-only', url: 'https://api.example', bundledMock: false, profile: 'direct', credentials: { ...KEY_VARS }, capabilities: { writes: false, quotaKey: true } };

/** The lint's findings for a spec file: one line per broken rule, empty when the spec keeps them all. */
export async function lintSpec(path: string): Promise<string[]> {
  const contract = await loadContract(path);
  const problems: string[] = [];
  for (const op of contract.operations) {
    const name = `${op.method} ${op.path}`;
    for (const role of CREDENTIAL_ROLES) {
      const r = responseFor(op, role);
      if (!r) problems.push(`${name} documents no ${EVERY_REQUEST[role]} answer for credential ${role}`);
      else if (r.status !== EVERY_REQUEST[role]) problems.push(`${name} answers credential ${role} with ${r.status}, not ${EVERY_REQUEST[role]}`);
      else if (r.example === undefined) problems.push(`${name} ${r.status} has no example body`);
    }
    for (const [, param] of op.path.matchAll(/\{([^}]+)\}/g)) {
      const p = op.parameters.find((x) => x.name === param);
      if (p?.example === undefined) problems.push(`${name}: path parameter ${param} has no example`);
    }
    if (op.requestBody && op.requestBody.example === undefined) problems.push(`${name}: request body has no example`);
    // Every operation the facts list with an unsafe method creates or consumes (public-api-facts.md:23-24).
    if (!['GET', 'HEAD', 'OPTIONS'].includes(op.method) && !op.writes) problems.push(`${name} is unsafe and declared x-writes: false`);
  }
  let catalog;
  try {
    catalog = buildCatalog(contract);
  } catch (e) {
    return [...problems, (e as Error).message];
  }
  // Safe by default: against a target without writes, no writing operation is sent the valid key.
  const scope = { target: READ_ONLY, contract, env: Object.fromEntries(Object.values(KEY_VARS).map((v) => [v, 'Basic c2V0'])) };
  for (const p of catalog.flatMap(probesOf)) {
    const op = contract.operations.find((o) => o.operationId === p.operationId)!;
    if (op.writes && p.credential === 'valid' && !probeUnavailable(p, scope)) problems.push(`${p.key} would send the valid key to ${op.method} ${op.path} without writes`);
  }
  // the caller's checks of the passive proxy cite clauses too (request.json-content-type only they cite)
  const clauseOf = (id: string) => contract.clauses.find((c) => c.id === id) ?? { id, level: 'MUST' as const, title: '', source: '', quote: '' };
  const used = new Set([...catalog, ...clientChecks(clauseOf)].map((c) => c.clause.id));
  for (const c of contract.clauses) {
    if (!used.has(c.id)) problems.push(`clause ${c.id} is checked by no check`);
    const m = /^([\w.-]+):(\d+)(?:-(\d+))?$/.exec(c.source);
    if (!m) {
      problems.push(`clause ${c.id}: source "${c.source}" is not file:line[-line]`);
      continue;
    }
    const cited = normalize(readFileSync(join(SOURCES, m[1]!), 'utf8').split('\n').slice(Number(m[2]) - 1, Number(m[3] ?? m[2])).join(' '));
    for (const part of c.quote.split(' … ')) if (!cited.includes(normalize(part))) problems.push(`clause ${c.id}: "${part}" is not at ${c.source}`);
  }
  return problems;
}

/** A copy of the spec with `edit` applied to its text (the edit must change something). */
export function specCopy(edit: (text: string) => string): string {
  const text = readFileSync(DEFAULT_SPEC, 'utf8');
  const changed = edit(text);
  expect(changed).not.toBe(text);
  const path = join(tempDir(), 'openapi.yaml');
  writeFileSync(path, changed);
  return path;
}

