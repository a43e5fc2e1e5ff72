// The report's published JSON Schema (docs/report.schema.json), compiled once with ajv (draft
// 2020-12, strict, formats asserted by ajv-formats), so that the tests hold every report they read
// to it as well as to the action's own validator: what the schema tells users is what reports are.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { ROOT } from './engine.js';

export const REPORT_SCHEMA_FILE = path.join(ROOT, 'docs', 'report.schema.json');

// ajv-formats is CommonJS: its default export arrives as the module object or the function.
const addFormats = (
  typeof addFormatsModule === 'function' ? addFormatsModule : (addFormatsModule as { default: unknown }).default
) as (ajv: Ajv2020) => Ajv2020;

let compiled: ValidateFunction | undefined;

/** The schema's validator, compiled on first use. */
export function reportSchemaValidator(): ValidateFunction {
  if (compiled) return compiled;
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  compiled = ajv.compile(JSON.parse(readFileSync(REPORT_SCHEMA_FILE, 'utf8')) as object);
  return compiled;
}

/** What the schema finds wrong with `value` (one line per error), or undefined when it is a valid report. */
export function schemaErrors(value: unknown): string | undefined {
  const validate = reportSchemaValidator();
  if (validate(value)) return undefined;
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`).join('\n');
}

/** Throws, naming `what` and the schema's errors, unless `value` is a report the schema accepts. */
export function assertMatchesSchema(value: unknown, what: string): void {
  const errors = schemaErrors(value);
  if (errors !== undefined) throw new Error(`${what} does not match docs/report.schema.json:\n${errors}`);
}
