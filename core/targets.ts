// Named targets (`--target NAME`) from a checked-in file, targets.json by default, validated with
// Ajv against targets.schema.json: URL, profile, which variables hold the keys, capabilities.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { UsageError } from './errors.js';
import { readInput } from './files.js';

export const DEFAULT_TARGETS = fileURLToPath(new URL('../targets.json', import.meta.url));
const SCHEMA = JSON.parse(readFileSync(new URL('../targets.schema.json', import.meta.url), 'utf8')) as object;

/** direct: the API or a faithful stand-in. key-injecting-proxy: a backend that adds the key itself. */
export const PROFILES = ['direct', 'key-injecting-proxy'] as const;
export type Profile = (typeof PROFILES)[number];

export interface TargetEntry {
  description?: string;
  url: string;
  profile?: Profile;
  keys?: Partial<Record<KeyRole, string>>;
  capabilities?: { writes?: boolean; quotaKey?: boolean };
  plainHttpUrl?: string;
}

/** A --target value that is neither a URL nor "mock" names an entry of the targets file. */
export const isTargetName = (raw: string) => raw !== 'mock' && /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(raw);

export function namedTarget(name: string, file: string): TargetEntry {
  let doc: { targets: Record<string, TargetEntry> };
  try {
    doc = JSON.parse(readInput(file, 'targets file').toString('utf8')) as typeof doc;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot read targets file ${file}: ${(e as Error).message.split('\n')[0]}`);
  }
  const ajv = new Ajv2020({ allErrors: false, strict: false });
  addFormats.default(ajv);
  const validate = ajv.compile(SCHEMA);
  if (!validate(doc)) {
    const e = validate.errors![0]!;
    throw new UsageError(`invalid targets file ${file}: ${e.instancePath || '(root)'} ${e.message}`);
  }
  const entry = doc.targets[name];
  if (!entry) {
    const known = Object.keys(doc.targets).join(', ') || 'none';
    throw new UsageError(`unknown target "${name}": not a URL, "mock", or a name in ${file} (${known})`);
  }
  return entry;
}

/** The same host on plain http: declared, or derived for an https URL on the default port. */
export function plainHttpUrlOf(url: URL, declared?: string): string | undefined {
  if (declared) return declared.replace(/\/+$/, '');
  if (url.protocol !== 'https:' || url.port) return undefined;
  return `http://${url.host}${url.pathname}`.replace(/\/+$/, '');
}

export const KEY_VARS = {
  valid: 'FFMPEG_API_KEY',
  quota: 'FFMPEG_API_QUOTA_EXCEEDED_KEY',
  revoked: 'FFMPEG_API_REVOKED_KEY',
} as const;

export type KeyRole = keyof typeof KEY_VARS;
