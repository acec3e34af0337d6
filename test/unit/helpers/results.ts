// Reading what a watch folder files, checked against its documented schema (schemas/watch-result.schema.json).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import Ajv from 'ajv';
import type { WatchOutcome } from '../../../src/core';
import { ROOT } from './paths';

const schema = JSON.parse(readFileSync(path.join(ROOT, 'schemas', 'watch-result.schema.json'), 'utf8')) as object;
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

/** A `<name>.result.json`, which must match the schema. */
export async function readWatchResult(file: string): Promise<WatchOutcome> {
  const value = JSON.parse(await fsp.readFile(file, 'utf8')) as unknown;
  assert.ok(validate(value), `${file} does not match schemas/watch-result.schema.json: ${JSON.stringify(validate.errors)}`);
  return value as WatchOutcome;
}
