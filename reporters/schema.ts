// The JSON Schema of report.json (reporters/report.schema.json, draft 2020-12): validates the
// reports the tool reads back (--baseline, --compare) and every report the project's tests produce.
import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { UsageError } from '../core/errors.js';
import { readInput } from '../core/files.js';
import { withClauseTable, type Report } from './model.js';

const REPORT_SCHEMA = JSON.parse(readFileSync(new URL('./report.schema.json', import.meta.url), 'utf8')) as object;

let validate: ValidateFunction | undefined; // compiled on first use: a plain run never reads a report back

/** The schema violations of a parsed report.json, as "path message" lines; empty when valid. */
export function reportErrors(value: unknown): string[] {
  if (!validate) {
    const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
    addFormats.default(ajv);
    validate = ajv.compile(REPORT_SCHEMA);
  }
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`);
}

/** Reads a report.json given on the command line; anything unreadable or invalid is a usage error. */
export function loadReport(path: string): Report {
  let value: unknown;
  try {
    value = JSON.parse(readInput(path, 'report').toString('utf8'));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot read report ${path}: ${(e as Error).message.split('\n')[0]}`);
  }
  const errors = reportErrors(value);
  if (errors.length) throw new UsageError(`${path} is not a report.json of schemaVersion 1: ${errors[0]}`);
  return withClauseTable(value as Report);
}
