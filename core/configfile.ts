// The configuration file: ffmpeg-api-conformance.config.json, or the "ffmpeg-api-conformance" key
// of package.json, found from the working directory upwards (lilconfig), or named by --config.
// Validated against config.schema.json (shipped in the package, for editors' completion through
// "$schema"). Its keys are the flags' names; precedence: flags > environment and .env > this file > defaults.
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { lilconfigSync } from 'lilconfig';
import { UsageError } from './errors.js';
import { nearest } from './suggest.js';

const NAME = 'ffmpeg-api-conformance';
const CONFIG_FILE = `${NAME}.config.json`;
const SCHEMA = JSON.parse(readFileSync(new URL('../config.schema.json', import.meta.url), 'utf8')) as object;
const validate = new Ajv2020({ allErrors: false, strict: true, allowUnionTypes: true }).compile(SCHEMA);

/** The file's options as flag values: strings for the flags that take a value, booleans, lists for the repeatable ones. */
export type FileOptions = Record<string, string | boolean | string[]>;

export interface ConfigFile {
  path: string;
  options: FileOptions;
}

/** Finds and validates the configuration file; undefined when there is none (a --config that names none is an error). */
export function loadConfigFile(explicit?: string, cwd = process.cwd()): ConfigFile | undefined {
  const loader = lilconfigSync(NAME, { searchPlaces: ['package.json', CONFIG_FILE], loaders: { '.json': (path, text) => parseJson(path, text) } });
  let found: { filepath: string; config: unknown } | null;
  try {
    found = explicit ? loader.load(explicit) : loader.search(cwd);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot read the config file ${explicit ?? CONFIG_FILE} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message.split('\n')[0]})`);
  }
  if (!found) return undefined;
  const { filepath, config } = found;
  const where = filepath.endsWith('package.json') ? `${filepath} ("${NAME}")` : filepath;
  if (!validate(config)) {
    const e = validate.errors![0]!;
    const at = e.instancePath ? `"${e.instancePath.slice(1).replace(/~1/g, '/')}"` : 'the file';
    const key = e.keyword === 'additionalProperties' ? (e.params as { additionalProperty: string }).additionalProperty : undefined;
    const near = key === undefined ? undefined : nearest(key, Object.keys((SCHEMA as { properties: object }).properties));
    const extra = key === undefined ? '' : ` "${key}"${near ? ` (did you mean "${near}"?)` : " (the keys are the flags' names, see --help)"}`;
    throw new UsageError(`invalid config ${where}: ${at} ${e.message}${extra}`);
  }
  const options: FileOptions = {};
  for (const [key, value] of Object.entries(config as Record<string, unknown>)) {
    if (key === '$schema') continue;
    options[key] = key === 'reporter' ? [[value].flat().join(',')] : typeof value === 'number' ? String(value) : (value as string | boolean | string[]);
  }
  return { path: filepath, options };
}

/** lilconfig takes the "ffmpeg-api-conformance" key of a package.json itself. */
function parseJson(path: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new UsageError(`invalid config ${path}: not JSON (${(e as Error).message})`);
  }
}

/**
 * The flags, with the file's options under them. The target is left to the caller: the
 * environment's FFMPEG_API_BASE_URL comes between the flag and the file.
 */
export function underFlags<T extends Record<string, unknown>>(flags: T, file: FileOptions | undefined): T {
  if (!file) return flags;
  const merged: Record<string, unknown> = { ...flags };
  for (const [key, value] of Object.entries(file)) if (key !== 'target' && merged[key] === undefined) merged[key] = value;
  return merged as T;
}
