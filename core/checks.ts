// The header edge cases and the deployment checks as data (spec/checks.json, beside the spec),
// validated at load against spec/checks.schema.json (JSON Schema 2020-12), which any other
// harness can read too. suites/catalog.ts builds the checks from it.
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { UsageError } from './errors.js';
import { readInput } from './files.js';
import type { CredentialRole, Roles } from './spec.js';

const DEFAULT_CHECKS = fileURLToPath(new URL('../spec/checks.json', import.meta.url));
const SCHEMA_FILE = fileURLToPath(new URL('../spec/checks.schema.json', import.meta.url));

/** What is sent beside the key; strings are templates (spec/checks.json's $comment lists them). */
interface DataRequest {
  operation?: keyof Roles;
  headers?: Array<[string, string]>;
  query?: Record<string, string>;
  body?: string;
  raw?: boolean;
  keyShape?: 'padding' | 'plus-slash' | 'padding-or-plus-slash' | 'user-pass' | 'user-pass-cased';
  path?: string;
  plainHttp?: boolean;
  unknownParams?: boolean;
}
/** A request of its own (equal keys are sent once per run). */
type OwnProbe = DataRequest & { key: string; credential: 'valid' | 'quota' | 'revoked' | 'wrong' | 'none' };
/** A request of an operation's auth matrix, by its row. */
interface RefProbe {
  ref: 'missing' | 'invalid' | 'revoked' | 'quota' | 'valid';
  operation?: keyof Roles;
}
export type DataProbe = OwnProbe | RefProbe;

/** What a check judges: one exchange, a sequence sent in order inside it, or an aggregate over probes sent anyway. */
type Evidence = { kind: 'exchange'; probe: DataProbe } | { kind: 'sequence'; probes: OwnProbe[] } | { kind: 'aggregate'; over: DataProbe[] };
export type EvidenceKind = Evidence['kind'];

interface DataCheck {
  id: string;
  clause: string;
  title: string;
  judge: string;
  answers?: CredentialRole[];
}
interface HeaderVariant extends DataCheck {
  evidence: { kind: 'exchange'; probe: DataRequest };
}
export interface DeploymentCheck extends DataCheck {
  group: string;
  evidence: Evidence;
  profiles?: 'all' | Array<'direct' | 'key-injecting-proxy'>;
  https?: boolean;
}
export interface ChecksData {
  path: string;
  headerVariants: HeaderVariant[];
  deployment: DeploymentCheck[];
}

const parse = (file: string, what: string): unknown => {
  try {
    return JSON.parse(readInput(file, what).toString('utf8'));
  } catch (e) {
    throw new UsageError(`invalid ${what} ${file}: ${(e as Error).message.split('\n')[0]}`);
  }
};

/** The checks file, validated against its schema; a file that breaks it is a one-line error (exit 2). */
export function loadChecks(path = DEFAULT_CHECKS): ChecksData {
  const validate = new Ajv2020({ allErrors: false, strict: true }).compile(parse(SCHEMA_FILE, 'checks schema') as object);
  const data = parse(path, 'checks file');
  if (!validate(data)) {
    const e = validate.errors![0]!;
    throw new UsageError(`invalid checks file ${path}: ${e.instancePath || '/'} ${e.message ?? 'is invalid'}${e.params && 'allowedValues' in e.params ? ` (${(e.params.allowedValues as unknown[]).join(', ')})` : ''}`);
  }
  return { path, ...(data as Omit<ChecksData, 'path'>) };
}
