// Loads the contract (spec/openapi.yaml): validated with swagger-parser, dereferenced once per
// run, its clauses indexed, and its response schemas compiled with Ajv2020 + ajv-formats.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ajv2020 as Ajv, ValidateFunction } from 'ajv/dist/2020.js';
import { UsageError } from './errors.js';
import { MAX_INPUT_BYTES, readInput, writeFileSafely } from './files.js';

export const DEFAULT_SPEC = fileURLToPath(new URL('../spec/openapi.yaml', import.meta.url));

export type Level = 'MUST' | 'SHOULD' | 'OBSERVE';
export const LEVELS: readonly Level[] = ['MUST', 'SHOULD', 'OBSERVE'];

export interface Clause {
  id: string;
  level: Level;
  title: string;
  source: string;
  quote: string;
  also?: string;
  rfc?: string;
  conflict?: string;
  reading?: string;
}

/** Which credential a documented response answers (`x-credential`): none, a wrong key, the quota-exhausted key, the valid key. */
export type CredentialRole = 'none' | 'wrong' | 'quota' | 'valid';
export const CREDENTIAL_ROLES: readonly CredentialRole[] = ['none', 'wrong', 'quota', 'valid'];

export interface DocumentedResponse {
  status: string;
  clause: string;
  /** JSON schema of the body. */
  schema: object;
  credential?: CredentialRole;
  /** The spec's first example of the body. */
  example?: unknown;
}

/** A templated path parameter and the spec's example value for it. */
interface PathParameter {
  name: string;
  example?: string;
}

/** The example request body of an operation (its first media type, its first example). */
interface RequestExample {
  mediaType: string;
  example?: unknown;
}

/**
 * An OpenAPI link: a path parameter of this operation, or a field of its JSON request body
 * (the link's `x-request-body`, keyed by JSON pointer), taken from the 200 answer of another.
 */
export interface ParameterSource {
  operationId: string;
  /** The path parameter's name, or (in: body) the JSON pointer of the request body field. */
  parameter: string;
  in?: 'body';
  /** JSON pointer into the other operation's 200 body. */
  pointer: string;
}

export interface Operation {
  operationId: string;
  method: string;
  path: string;
  /** Creates or consumes: unsafe methods do unless the spec says `x-writes: false`. */
  writes: boolean;
  deprecated?: boolean;
  parameters: PathParameter[];
  requestBody?: RequestExample;
  /** Where a valid request finds real values for its path parameters and body fields (other operations' links). */
  sources?: ParameterSource[];
  /** status code → the documented response */
  responses: Record<string, DocumentedResponse>;
}

/**
 * The operations that play a part in the suite beyond their own checks, named by the spec's root
 * `x-roles` (each an operationId of the spec, checked at load).
 */
export interface Roles {
  /** The guide's own test request: the preflight, the header edge cases, the deployment checks. */
  testRequest: string;
  /** A second read without a key, asked when the test request found no API at the base URL. */
  baseUrlProbe: string;
  /** An operation with a JSON request body: where the key is placed in the body. */
  bodyPlacement: string;
  /** An operation whose path names a resource: asked for one that does not exist. */
  unknownResource: string;
}
const ROLE_NAMES: readonly (keyof Roles)[] = ['testRequest', 'baseUrlProbe', 'bodyPlacement', 'unknownResource'];

/** How a request carries the key: the header and the scheme before the token (the spec's security scheme). */
export interface AuthScheme {
  /** The security scheme's name in the spec (dashboardKey). */
  name: string;
  header: string;
  /** "Basic"; empty when the header holds the bare key (an apiKey scheme). */
  scheme: string;
}

/** The API's error body (the spec's `Error` schema): a flag property fixed to a value, and the message property. */
export interface ErrorEnvelope {
  flag: string;
  value: unknown;
  message: string;
}

/** The parts of the contract the suites need; plain JSON, so it can be handed to vitest workers. */
export interface Contract {
  path: string;
  version: string;
  sha256: string;
  clauses: Clause[];
  operations: Operation[];
  roles: Roles;
  auth: AuthScheme;
  errorEnvelope: ErrorEnvelope;
}

type Examples = { example?: unknown; examples?: Record<string, { value?: unknown }> };
type Param = Examples & { name: string; in: string };
type Media = Examples & { schema?: object };
type DocOperation = {
  operationId?: string;
  deprecated?: boolean;
  'x-writes'?: boolean;
  parameters?: Param[];
  requestBody?: { content?: Record<string, Media> };
  responses?: Record<string, { 'x-clause'?: string; 'x-credential'?: string; content?: Record<string, Media>; links?: Record<string, { operationId?: string; parameters?: Record<string, unknown>; 'x-request-body'?: Record<string, unknown> }> }>;
};
type Doc = {
  info: { version: string };
  'x-clauses'?: unknown;
  'x-roles'?: unknown;
  security?: Array<Record<string, unknown>>;
  components?: { securitySchemes?: Record<string, { type?: string; scheme?: string; in?: string; name?: string }>; schemas?: Record<string, unknown> };
  paths: Record<string, Record<string, DocOperation> & { parameters?: Param[] }>;
};

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
/** Methods that change nothing (RFC 9110 §9.2.1); every other one writes unless the spec says otherwise. */
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The first example of a parameter or media type: `example`, else the first of `examples`. */
const firstExample = (x: Examples | undefined): unknown => (x?.example !== undefined ? x.example : Object.values(x?.examples ?? {})[0]?.value);

/** Bump when what loadContract makes of a spec changes: older cached contracts are then ignored. */
const CACHE_FORMAT = 4; // 3: the entry carries its own sha256 (CacheEntry); 4: roles, auth scheme, error envelope
/**
 * Validated contracts, by the spec's sha256: the bundled spec's is made at build time
 * (scripts/build.mjs, beside the built spec), any other spec's after its first run (the user's
 * cache directory). A cached contract skips swagger-parser: it is the slowest step of a start.
 */
const cacheDirs = (): string[] => [
  fileURLToPath(new URL('../spec/validated/', import.meta.url)),
  join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'ffmpeg-api-conformance'),
];
const cacheFile = (dir: string, sha256: string) => join(dir, `contract-${CACHE_FORMAT}-${sha256}.json`);

/**
 * A cached contract as written: the contract's JSON and its own sha256, checked on read. The file
 * is keyed by the spec's sha256 (its name) and must say the same inside.
 */
interface CacheEntry {
  check: string;
  contract: string;
}
const digest = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

/** The cached contract of a spec, or why the entry found is not used (undefined: none there). */
function readCached(file: string, sha256: string): Omit<Contract, 'path'> | string | undefined {
  let text: string;
  try {
    text = readInput(file, 'cached contract', MAX_INPUT_BYTES).toString('utf8');
  } catch (e) {
    return (e as NodeJS.ErrnoException).message.includes('ENOENT') ? undefined : (e as Error).message;
  }
  try {
    const entry = JSON.parse(text) as CacheEntry;
    if (typeof entry.contract !== 'string' || digest(entry.contract) !== entry.check) return `the cached contract ${file} does not match its own hash`;
    const contract = JSON.parse(entry.contract) as Omit<Contract, 'path'>;
    if (contract.sha256 !== sha256) return `the cached contract ${file} is for another spec`;
    return contract;
  } catch {
    return `the cached contract ${file} is not readable JSON`;
  }
}

export async function loadContract(path = DEFAULT_SPEC, options: { cacheDir?: string; onNote?: (note: string) => void } = {}): Promise<Contract> {
  const bytes = readInput(path, 'spec'); // a regular file of bounded size (core/files.ts)
  const sha256 = digest(bytes);
  // options.cacheDir (the build's): validate now and keep it there
  for (const dir of options.cacheDir ? [] : cacheDirs()) {
    const cached = readCached(cacheFile(dir, sha256), sha256);
    if (typeof cached === 'object') return { ...cached, path, sha256 };
    // a bad entry is ignored (and rebuilt below when it is the user's cache)
    if (typeof cached === 'string') options.onNote?.(`${cached}: ignored, the spec is validated again and the entry rebuilt`);
  }
  const contract = await validateContract(path, sha256);
  const cached: Partial<Contract> = { ...contract };
  delete cached.path; // where the spec lies is the run's, not the contract's
  try {
    const dir = options.cacheDir ?? cacheDirs()[1]!;
    const json = JSON.stringify(cached);
    writeFileSafely(cacheFile(dir, sha256), JSON.stringify({ check: digest(json), contract: json } satisfies CacheEntry));
  } catch {
    // a read-only home: the next run validates again
  }
  return contract;
}

async function validateContract(path: string, sha256: string): Promise<Contract> {
  // Imported here, not at the top: the vitest worker loads this module only for schemaValidators.
  const { default: SwaggerParser } = await import('@apidevtools/swagger-parser');
  let doc: Doc;
  try {
    doc = (await SwaggerParser.validate(path)) as unknown as Doc;
  } catch (e) {
    const first = String((e as Error).message).split('\n').find((l) => l.trim()) ?? 'invalid';
    throw new UsageError(`invalid spec ${path}: ${first.trim()}`);
  }
  const clauses = parseClauses(doc['x-clauses'], path);
  const ids = new Set(clauses.map((c) => c.id));
  const operations: Operation[] = [];
  const sources: Record<string, ParameterSource[]> = {};
  for (const [p, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method] as DocOperation | undefined;
      if (!op) continue;
      const responses: Operation['responses'] = {};
      for (const [status, r] of Object.entries(op.responses ?? {})) {
        const json = r.content?.['application/json'];
        const clause = r['x-clause'];
        if (!json?.schema || !clause) continue;
        if (!ids.has(clause)) throw new UsageError(`invalid spec ${path}: response ${status} of ${op.operationId} cites unknown clause ${clause}`);
        const credential = r['x-credential'] as CredentialRole | undefined;
        if (credential !== undefined && !CREDENTIAL_ROLES.includes(credential))
          throw new UsageError(`invalid spec ${path}: response ${status} of ${op.operationId} has x-credential ${String(credential)} (one of ${CREDENTIAL_ROLES.join(', ')})`);
        const example = firstExample(json);
        responses[status] = { status, clause, schema: json.schema, ...(credential && { credential }), ...(example !== undefined && { example }) };
        for (const link of Object.values(r.links ?? {}))
          for (const [parameter, expr] of Object.entries(link.parameters ?? {})) {
            const m = /^\$response\.body#(\/.*)$/.exec(String(expr));
            if (link.operationId && m) (sources[link.operationId] ??= []).push({ operationId: op.operationId ?? `${method} ${p}`, parameter, pointer: m[1]! });
          }
        for (const link of Object.values(r.links ?? {}))
          for (const [field, expr] of Object.entries(link['x-request-body'] ?? {})) {
            const m = /^\$response\.body#(\/.*)$/.exec(String(expr));
            if (!link.operationId || !m || !field.startsWith('/')) throw new UsageError(`invalid spec ${path}: a link of ${op.operationId} has x-request-body ${field}: ${String(expr)} (a JSON pointer: '$response.body#/pointer')`);
            (sources[link.operationId] ??= []).push({ operationId: op.operationId ?? `${method} ${p}`, parameter: field, in: 'body', pointer: m[1]! });
          }
      }
      const parameters = [...(item.parameters ?? []), ...(op.parameters ?? [])]
        .filter((x) => x.in === 'path')
        .map((x): PathParameter => {
          const example = firstExample(x);
          return { name: x.name, ...(example !== undefined && { example: String(example) }) };
        });
      const [mediaType, media] = Object.entries(op.requestBody?.content ?? {})[0] ?? [];
      const bodyExample = firstExample(media);
      const upper = method.toUpperCase();
      operations.push({
        operationId: op.operationId ?? `${method} ${p}`,
        method: upper,
        path: p,
        writes: op['x-writes'] ?? !SAFE.has(upper),
        ...(op.deprecated && { deprecated: true }),
        parameters,
        ...(mediaType && { requestBody: { mediaType, ...(bodyExample !== undefined && { example: bodyExample }) } }),
        responses,
      });
    }
  }
  for (const op of operations) if (sources[op.operationId]) op.sources = sources[op.operationId];
  return { path, version: doc.info.version, sha256, clauses, operations, roles: parseRoles(doc['x-roles'], operations, path), auth: parseAuth(doc, path), errorEnvelope: parseEnvelope(doc, path) };
}

/** x-roles: each role names an operation of the spec. */
function parseRoles(raw: unknown, operations: Operation[], path: string): Roles {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new UsageError(`invalid spec ${path}: x-roles must map ${ROLE_NAMES.join(', ')} to operationIds`);
  const roles = raw as Record<string, unknown>;
  for (const name of Object.keys(roles)) if (!ROLE_NAMES.includes(name as keyof Roles)) throw new UsageError(`invalid spec ${path}: x-roles has unknown role ${name} (one of ${ROLE_NAMES.join(', ')})`);
  for (const name of ROLE_NAMES) {
    const id = roles[name];
    if (typeof id !== 'string') throw new UsageError(`invalid spec ${path}: x-roles.${name} must name an operationId`);
    if (!operations.some((o) => o.operationId === id)) throw new UsageError(`invalid spec ${path}: x-roles.${name} names operation ${id}, which the spec does not define`);
  }
  return roles as unknown as Roles;
}

/** The security scheme the spec's root `security` names: an http scheme (Authorization: <Scheme> <token>) or an apiKey in a header. */
function parseAuth(doc: Doc, path: string): AuthScheme {
  const name = Object.keys(doc.security?.[0] ?? {})[0];
  const s = name ? doc.components?.securitySchemes?.[name] : undefined;
  if (!name || !s) throw new UsageError(`invalid spec ${path}: the root security must name a scheme of components.securitySchemes`);
  if (s.type === 'http' && s.scheme) return { name, header: 'Authorization', scheme: s.scheme[0]!.toUpperCase() + s.scheme.slice(1).toLowerCase() };
  if (s.type === 'apiKey' && s.in === 'header' && s.name) return { name, header: s.name, scheme: '' };
  throw new UsageError(`invalid spec ${path}: security scheme ${name} is neither an http scheme nor an apiKey in a header`);
}

/** components.schemas.Error: required, one property fixed by `const` (the flag) and one string (the message). */
function parseEnvelope(doc: Doc, path: string): ErrorEnvelope {
  const e = doc.components?.schemas?.Error as { required?: string[]; properties?: Record<string, { const?: unknown; type?: string }> } | undefined;
  const props = Object.entries(e?.properties ?? {}).filter(([k]) => e?.required?.includes(k));
  const flag = props.find(([, p]) => p.const !== undefined);
  const message = props.find(([, p]) => p.type === 'string');
  if (!flag || !message) throw new UsageError(`invalid spec ${path}: components.schemas.Error must require a property fixed by const and a string property`);
  return { flag: flag[0], value: flag[1].const, message: message[0] };
}

/** Whether a body is the API's error envelope ({"ok":false,"error":"..."}). */
export function isErrorEnvelope(envelope: ErrorEnvelope, body: unknown): boolean {
  const b = body as Record<string, unknown> | null;
  return typeof b === 'object' && b !== null && b[envelope.flag] === envelope.value && typeof b[envelope.message] === 'string';
}

/** The header value that carries a token ("Basic <token>"). */
export const credentialValue = (auth: AuthScheme, token: string): string => (auth.scheme ? `${auth.scheme} ${token}` : token);

/** The operation a role names (x-roles, checked at load). */
export const roleOperation = (contract: Contract, role: keyof Roles): Operation => contract.operations.find((o) => o.operationId === contract.roles[role])!;

function parseClauses(raw: unknown, path: string): Clause[] {
  if (!Array.isArray(raw) || raw.length === 0) throw new UsageError(`invalid spec ${path}: x-clauses must be a non-empty list`);
  const seen = new Set<string>();
  return raw.map((c: Record<string, unknown>, i) => {
    for (const key of ['id', 'level', 'title', 'source', 'quote'])
      if (typeof c[key] !== 'string') throw new UsageError(`invalid spec ${path}: x-clauses[${i}] has no ${key}`);
    if (!LEVELS.includes(c.level as Level)) throw new UsageError(`invalid spec ${path}: clause ${String(c.id)} has level ${String(c.level)}`);
    if (seen.has(c.id as string)) throw new UsageError(`invalid spec ${path}: clause ${String(c.id)} is defined twice`);
    seen.add(c.id as string);
    return c as unknown as Clause;
  });
}

/** The response an operation documents for a credential (x-credential), if any. */
export const responseFor = (op: Operation, credential: CredentialRole): DocumentedResponse | undefined =>
  Object.values(op.responses).find((r) => r.credential === credential);

/** The `error` text a response schema fixes with `const` (directly or in an allOf/anyOf/oneOf part), if any. */
function pinnedError(schema: unknown): string | undefined {
  const s = schema as { properties?: { error?: { const?: unknown } }; allOf?: unknown[]; anyOf?: unknown[]; oneOf?: unknown[] } | undefined;
  const own = s?.properties?.error?.const;
  if (typeof own === 'string') return own;
  for (const part of [...(s?.allOf ?? []), ...(s?.anyOf ?? []), ...(s?.oneOf ?? [])]) {
    const found = pinnedError(part);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * The error texts the contract documents: every `error` a response schema fixes (`const`), as the
 * judges read them (an `error-text` finding), distinct and sorted. A text only an example shows
 * (a 404's "not found") is not one: the contract does not fix it.
 */
export const documentedErrorTexts = (contract: Contract): string[] =>
  [...new Set(contract.operations.flatMap((op) => Object.values(op.responses).map((r) => pinnedError(r.schema)).filter((t) => t !== undefined)))].sort();

/** The Ajv options of the response validators, at build time (scripts/build.mjs) and at run time alike. @public */
export const VALIDATOR_OPTIONS = { allErrors: true, strict: false } as const;

/** The module of the bundled spec's response validators, compiled at build time (ajv's standalone code; scripts/build.mjs writes it). @public */
export const prebuiltValidatorsFile = (sha256: string): string => fileURLToPath(new URL(`../spec/validators-${sha256}.mjs`, import.meta.url));

/**
 * A validator per response schema. For the bundled spec (the sha256 the build compiled) they come
 * compiled from dist/spec/validators-<sha256>.mjs, so a run neither loads Ajv's compiler nor compiles;
 * any other spec: one Ajv instance per contract, each schema compiled when first needed.
 */
export function schemaValidators(contract: Contract): (operationId: string, status: string) => ValidateFunction {
  const require = createRequire(import.meta.url);
  const file = prebuiltValidatorsFile(contract.sha256);
  if (existsSync(file)) {
    const { responses } = require(file) as { responses: Record<string, ValidateFunction> };
    return (operationId, status) => {
      const v = responses[`${operationId} ${status}`];
      if (!v) throw new Error(`the spec documents no ${status} response for ${operationId}`);
      return v;
    };
  }
  const { Ajv2020 } = require('ajv/dist/2020.js') as { Ajv2020: typeof Ajv };
  const ajv = new Ajv2020(VALIDATOR_OPTIONS);
  (require('ajv-formats') as { default: (ajv: Ajv) => void }).default(ajv);
  // Keyed by the schema's text: the operations share their error schemas (7 distinct of 16 here).
  const cache = new Map<string, ValidateFunction>();
  return (operationId, status) => {
    const op = contract.operations.find((o) => o.operationId === operationId);
    const schema = op?.responses[status]?.schema;
    if (!schema) throw new Error(`the spec documents no ${status} response for ${operationId}`);
    const key = JSON.stringify(schema);
    let v = cache.get(key);
    if (!v) {
      v = ajv.compile(schema);
      cache.set(key, v);
    }
    return v;
  };
}
