// Issue #5, property-based fuzzing of the validator (fast-check): random mutations of a valid
// JobSpec (values of every kind per field, extra keys, deletions, deep random JSON) and random
// edits of its text. validateJobSpecText must always resolve, within a time limit, to either a
// valid spec whose every output stays in output_directory, or at least one error problem with a
// JSON pointer and a message. It never throws and never hangs.
// FUZZ_SEED=<n> replays a run; FUZZ_RUNS=<n> changes the number of runs per property.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import fc from 'fast-check';
import { validateJobSpecText, type LoadResult } from '../../src/core/jobspec';
import { CODECS, CONTAINERS } from '../../src/core/types';
import { core } from './helpers/core';
import { tempDir } from './helpers/tmp';

const RUNS = Number(process.env.FUZZ_RUNS ?? 500);
const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31;
const PER_CALL_MS = 5000;
console.log(`fuzz seed ${SEED} (replay with FUZZ_SEED=${SEED}), ${RUNS} runs per property`);

const FIELDS = [
  '$schema',
  'jobspec_version',
  'job_id',
  'sources',
  'output_directory',
  'codec',
  'container',
  'resolution',
  'naming_template',
  'fps_mode',
  'fps_explicit',
  'audio',
  'max_concurrent_jobs',
  'overwrite',
  'prores_encoder',
  'created_at',
] as const;

const VALID = {
  $schema: 'https://jobspec.dev/schemas/jobspec.schema.json',
  jobspec_version: '1',
  job_id: 'fuzz',
  sources: ['media/A001.mov', 'media/A002.mov'],
  output_directory: 'out',
  codec: 'prores_proxy',
  container: 'mov',
  resolution: 'half',
  naming_template: '{source_name}_{index}',
  fps_mode: 'explicit',
  fps_explicit: 25,
  audio: 'auto',
  max_concurrent_jobs: 2,
  overwrite: 'never',
  prores_encoder: 'prores_ks',
  created_at: '2025-12-28T12:00:00Z',
};

/** Values a person (or a bad merge) might put anywhere. */
const SPECIAL: unknown[] = [
  '',
  ' ',
  '.',
  '..',
  '/',
  '\\',
  '~',
  '~/',
  '~root',
  '{',
  '}',
  '{}',
  '{index}',
  '{index',
  '{bogus}',
  '{source_name}',
  '{source_ext}',
  '../{source_name}',
  '..{index}',
  'a/b',
  'media/A001.mov',
  './media/A001.mov',
  'media',
  'out',
  '/dev/null',
  '/proc/self/fd/0',
  '/',
  '\u0000',
  'a\u0000b',
  '\n',
  '\ufeff',
  '\u202e',
  '💥',
  'a'.repeat(300),
  'x'.repeat(5000),
  'concat:a|b',
  'http://example.com/a.mov',
  'pipe:1',
  '-i',
  '-y',
  'file:/etc/passwd',
  '$(touch PWNED)',
  'mov',
  'MOV',
  '.mov',
  '.MXF',
  'mp4',
  'avi',
  'hevc',
  'h265',
  'prores_hq',
  'dnxhd',
  'av1',
  'same',
  'half',
  '1920x1080',
  '0x0',
  '1x1',
  '99999x99999',
  '1280x720,drawtext',
  'explicit',
  'same-as-source',
  'skip',
  'replace',
  '1',
  '2',
  '__proto__',
  0,
  -0,
  1,
  -1,
  1.5,
  16,
  17,
  23.976,
  1000,
  1001,
  1e308,
  -1e308,
  5e-324,
  2 ** 53,
  true,
  false,
  null,
  [],
  {},
  ['media/A001.mov'],
  ['media/A001.mov', 'media/A001.mov'],
  ['media/A001.mov', './media/A001.mov'],
  ['media/missing.mov'],
  ['media'],
  ['media/empty.mov'],
  [1, 2],
  [[]],
  [{}],
  { a: 1 },
  { sources: ['x'] },
];

const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...SPECIAL) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.array(fc.oneof(fc.constantFrom(...SPECIAL), fc.string({ maxLength: 12 })), { maxLength: 6 }) },
);

type Mutation =
  | { kind: 'set'; key: (typeof FIELDS)[number]; value: unknown }
  | { kind: 'delete'; key: (typeof FIELDS)[number] }
  | { kind: 'extra'; key: string; value: unknown }
  | { kind: 'source'; index: number; value: unknown }
  | { kind: 'deep'; key: string; value: unknown };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), key: fc.constantFrom(...FIELDS), value: anyValue }),
  fc.record({ kind: fc.constant('delete' as const), key: fc.constantFrom(...FIELDS) }),
  fc.record({
    kind: fc.constant('extra' as const),
    key: fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'Codec', 'source', 'sources ', ''),
    ),
    value: anyValue,
  }),
  fc.record({ kind: fc.constant('source' as const), index: fc.nat({ max: 4 }), value: anyValue }),
  fc.record({ kind: fc.constant('deep' as const), key: fc.constantFrom(...FIELDS, 'extra'), value: fc.jsonValue({ maxDepth: 30 }) }),
);

/** Own, enumerable properties only, so that "__proto__" is a key like any other (as JSON.parse makes it). */
function put(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, configurable: true, writable: true });
}

function mutate(base: Record<string, unknown>, ms: Mutation[]): Record<string, unknown> {
  const obj: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(structuredClone(base))) put(obj, k, v);
  for (const m of ms) {
    switch (m.kind) {
      case 'set':
      case 'extra':
      case 'deep':
        put(obj, m.key, m.value);
        break;
      case 'delete':
        delete obj[m.key];
        break;
      case 'source': {
        const list = Array.isArray(obj.sources) ? [...(obj.sources as unknown[])] : [];
        list[Math.min(m.index, list.length)] = m.value;
        put(obj, 'sources', list);
        break;
      }
    }
  }
  return obj;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`validation did not finish in ${ms} ms (a hang) for: ${what.slice(0, 500)}`)), ms);
    }),
  ]);
}

let dir = '';
let jobspecFile = '';

before(async () => {
  dir = await tempDir(undefined, 'jobspec-fuzz-');
  await fsp.mkdir(path.join(dir, 'media'), { recursive: true });
  await fsp.mkdir(path.join(dir, 'out'), { recursive: true });
  await fsp.mkdir(path.join(dir, 'home'), { recursive: true });
  for (const n of ['A001.mov', 'A002.mov']) await fsp.writeFile(path.join(dir, 'media', n), 'not media, but validation does not probe');
  await fsp.writeFile(path.join(dir, 'media', 'empty.mov'), '');
  jobspecFile = path.join(dir, 'fuzz.jobspec.json');
});

let validCount = 0;
let invalidCount = 0;

/** The property every outcome must have. */
async function checkOutcome(text: string, limitMs = PER_CALL_MS): Promise<void> {
  let r: LoadResult;
  try {
    r = await withTimeout(
      validateJobSpecText(text, jobspecFile, { home: path.join(dir, 'home'), now: new Date(2025, 0, 2, 3, 4, 5) }),
      limitMs,
      text,
    );
  } catch (err) {
    throw new Error(
      `validateJobSpecText threw ${(err as Error).name}: ${(err as Error).message}\nfor text: ${JSON.stringify(text).slice(0, 800)}`,
    );
  }
  assert.ok(Array.isArray(r.problems));
  for (const p of r.problems) {
    assert.equal(typeof p.pointer, 'string', 'pointer is a string');
    assert.ok(p.pointer === '' || p.pointer.startsWith('/'), `pointer "${p.pointer}" is a JSON pointer`);
    assert.equal(typeof p.message, 'string');
    assert.ok(p.message.trim().length > 0, 'message is not empty');
    assert.ok(typeof p.code === 'string' && p.code.length > 0, 'code');
    assert.ok(p.severity === 'error' || p.severity === 'warning');
    if (p.line !== undefined)
      assert.ok(
        Number.isInteger(p.line) && p.line >= 1 && Number.isInteger(p.column) && (p.column ?? 0) >= 1,
        `line ${p.line} column ${p.column}`,
      );
  }
  if (r.ok) {
    validCount++;
    assert.equal(r.problems.filter((p) => p.severity === 'error').length, 0, 'a valid spec has no error');
    const s = r.spec;
    assert.ok(Array.isArray(s.sources) && s.sources.length >= 1 && s.sources.every((x) => typeof x === 'string' && path.isAbsolute(x)));
    assert.equal(new Set(s.sources).size, s.sources.length, 'no duplicate sources');
    assert.ok(path.isAbsolute(s.output_directory));
    assert.ok((CODECS as readonly string[]).includes(s.codec), s.codec);
    assert.ok((CONTAINERS as readonly string[]).includes(s.container), s.container);
    assert.ok(s.max_concurrent_jobs >= 1 && s.max_concurrent_jobs <= 16);
    // Every output stays directly inside output_directory and is never a source.
    const outs = core.planOutputs(s, new Date(2025, 0, 2, 3, 4, 5)).map((c) => c.output);
    for (const o of outs) {
      assert.equal(path.dirname(o), s.output_directory, `${o} leaves ${s.output_directory}`);
      assert.ok(!['.', '..', ''].includes(path.basename(o)));
      assert.ok(!s.sources.includes(o), `${o} is a source`);
    }
    assert.equal(new Set(outs).size, outs.length, 'two clips share an output');
  } else {
    invalidCount++;
    assert.ok(
      r.problems.some((p) => p.severity === 'error'),
      'an invalid spec has at least one error',
    );
  }
}

describe('validator fuzzing (fast-check)', () => {
  test('the unmutated JobSpec is valid (the fuzz starts from a valid spec)', async () => {
    const r = await validateJobSpecText(JSON.stringify(VALID), jobspecFile);
    assert.ok(r.ok, JSON.stringify(r.problems));
  });

  test(
    `random mutations of a valid JobSpec object (${RUNS} runs): problems or a valid spec, never a throw or a hang`,
    { timeout: 300_000 },
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 6 }), async (ms) => {
          await checkOutcome(JSON.stringify(mutate(VALID, ms), null, 2));
        }),
        { numRuns: RUNS, seed: SEED },
      );
    },
  );

  const edit = fc.record({
    at: fc.nat(),
    remove: fc.nat({ max: 6 }),
    insert: fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.string({ unit: 'binary', maxLength: 4 }),
      fc.constantFrom(
        '{',
        '}',
        '[',
        ']',
        '"',
        ',',
        ':',
        '\\',
        '\u0000',
        '\ufeff',
        '\n',
        '\r',
        '\t',
        '//',
        '/*',
        '*/',
        '1e999',
        '-',
        'null',
        'true',
        '"overwrite": "replace",',
        '"sources": [],',
        '"__proto__": {"codec": "h264"},',
        '"codec": 1,',
        '\\u0000',
        '\\ud800',
        '{index',
        '..',
        '/',
      ),
    ),
  });

  test(
    `random edits of a valid JobSpec's text (${RUNS} runs): problems (with line and column) or a valid spec`,
    { timeout: 300_000 },
    async () => {
      const base = JSON.stringify(VALID, null, 2);
      await fc.assert(
        fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 5 }), async (edits) => {
          let text = base;
          for (const e of edits) {
            const at = e.at % (text.length + 1);
            text = text.slice(0, at) + e.insert + text.slice(at + e.remove);
          }
          await checkOutcome(text);
        }),
        { numRuns: RUNS, seed: SEED },
      );
    },
  );

  test(`random JSON documents of any shape and depth (${Math.ceil(RUNS / 2)} runs)`, { timeout: 300_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 40 }), async (v) => {
        await checkOutcome(JSON.stringify(v));
      }),
      { numRuns: Math.ceil(RUNS / 2), seed: SEED },
    );
  });

  test(
    'deeply nested documents (100 to 200,000 levels) are refused with a message, never a stack overflow',
    { timeout: 120_000 },
    async () => {
      for (const depth of [99, 100, 101, 1000, 5000, 200_000]) {
        for (const text of [
          `{"sources": ${'['.repeat(depth)}${']'.repeat(depth)}}`,
          `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
          '['.repeat(depth),
          `{"naming_template": "${'['.repeat(depth)}"}`,
        ]) {
          await checkOutcome(text);
        }
      }
      const r = await validateJobSpecText('['.repeat(5000) + ']'.repeat(5000), jobspecFile);
      assert.equal(r.ok, false);
      assert.equal(r.problems[0].code, 'json-too-deep');
      // Brackets inside strings do not count.
      const inString = await validateJobSpecText(
        JSON.stringify({ ...VALID, naming_template: `{source_name}_{index}${'['.repeat(500)}` }),
        jobspecFile,
      );
      assert.ok(!inString.problems.some((p) => p.code === 'json-too-deep'), JSON.stringify(inString.problems.slice(0, 2)));
    },
  );

  test('huge inputs stay quick: a 1 MB unknown key, a 1 MB template, 30,000 sources', { timeout: 120_000 }, async () => {
    const t0 = Date.now();
    await checkOutcome(JSON.stringify({ ...VALID, ['k'.repeat(1_000_000)]: 1 }));
    await checkOutcome(JSON.stringify({ ...VALID, naming_template: '{'.repeat(1_000_000) }));
    await checkOutcome(JSON.stringify({ ...VALID, naming_template: '{index}'.repeat(200_000) }));
    // Three times the 10,000 (which the corpus times through the command): linear, if not instant.
    await checkOutcome(JSON.stringify({ ...VALID, sources: Array.from({ length: 30_000 }, (_, i) => `media/c${i}.mov`) }), 20_000);
    assert.ok(Date.now() - t0 < 60_000, `took ${Date.now() - t0} ms`);
  });

  test('the fuzz reached both outcomes', () => {
    assert.ok(validCount > 0, 'no mutation stayed valid: the fuzz only tests rejection');
    assert.ok(invalidCount > 0);
    console.log(`${validCount} valid and ${invalidCount} invalid outcomes checked`);
  });
});
