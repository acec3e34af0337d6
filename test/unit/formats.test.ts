// The codec/container table (src/core/formats.ts) is the one place a codec is described: the schema
// VS Code reads must say the same, rule for rule. This proves it, so neither can drift alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { core } from './helpers/core';
import { sourceInfo } from './helpers/info';
import { ROOT } from './helpers/paths';

interface Rule {
  if?: { properties?: { codec?: { enum?: string[]; const?: string } } };
  then?: { properties?: { container?: { pattern?: string; patternErrorMessage?: string } } };
}
interface Schema {
  properties: {
    codec: { anyOf: { enum?: string[]; enumDescriptions?: string[] }[] };
    container: { anyOf: { enum?: string[] }[]; enumDescriptions: string[] };
  };
  allOf: Rule[];
}

const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'schemas', 'jobspec.schema.json'), 'utf8')) as Schema;
const { CODEC_TABLE, CONTAINER_TABLE, CODEC_ALIASES } = core.formats;
const codecs = Object.keys(CODEC_TABLE) as (keyof typeof CODEC_TABLE)[];
const containers = Object.keys(CONTAINER_TABLE) as (keyof typeof CONTAINER_TABLE)[];

test('the schema lists exactly the table’s codecs and aliases, each described by the table’s label', () => {
  // The one list the editor completes from: the codec's enum branch (the other branch is the origin format's spelling).
  const branch = schema.properties.codec.anyOf.find((a) => a.enum);
  const names = branch?.enum ?? [];
  assert.deepEqual([...names].sort(), [...codecs, ...Object.keys(CODEC_ALIASES)].sort());
  for (const c of codecs) {
    assert.equal(branch?.enumDescriptions?.[names.indexOf(c)], CODEC_TABLE[c].label, `schema description of ${c}`);
  }
});

test('the schema lists exactly the table’s containers, each described by the table’s label', () => {
  const names = schema.properties.container.anyOf.find((a) => a.enum)?.enum ?? [];
  assert.deepEqual(names, containers);
  containers.forEach((c, i) => assert.equal(schema.properties.container.enumDescriptions[i], CONTAINER_TABLE[c].label));
});

test('each codec → container rule of the schema allows exactly the table’s containers, in any case and with a leading dot', () => {
  const covered = new Map<string, number>();
  for (const rule of schema.allOf) {
    const cond = rule.if?.properties?.codec;
    const pattern = rule.then?.properties?.container?.pattern;
    if (!cond || !pattern) continue;
    const re = new RegExp(pattern);
    for (const written of cond.enum ?? (cond.const ? [cond.const] : [])) {
      const codec = core.formats.normalizeCodec(written);
      covered.set(codec, (covered.get(codec) ?? 0) + 1);
      const allowed = containers.filter((c) => re.test(c));
      assert.deepEqual(
        allowed,
        [...CODEC_TABLE[codec].containers].sort((a, b) => containers.indexOf(a) - containers.indexOf(b)),
        `containers for ${written}`,
      );
      for (const c of allowed) {
        assert.ok(re.test(c.toUpperCase()) && re.test(`.${c}`), `${written} accepts ${c} in any case and with a dot`);
      }
      const message = rule.then?.properties?.container?.patternErrorMessage ?? '';
      assert.match(
        message,
        new RegExp(`Allowed containers: ${CODEC_TABLE[codec].containers.join(', ')}\\.`),
        `${written}'s message lists the table's containers`,
      );
    }
  }
  for (const c of codecs) assert.ok((covered.get(c) ?? 0) >= 1, `no schema rule for ${c}`);
});

test('the argument builder, verification and validation read the table: every codec builds, and is verified as the table says', () => {
  for (const codec of codecs) {
    const def = CODEC_TABLE[codec];
    for (const container of def.containers) {
      const spec = {
        codec,
        container,
        resolution: '1920x1080',
        fps_mode: 'same-as-source',
        audio: 'auto',
        prores_encoder: 'prores_ks',
      } as Parameters<typeof core.buildFfmpegArgs>[0];
      const info = sourceInfo();
      const built = core.buildFfmpegArgs(spec, '/m/a.mov', info, '/o/t.tmp');
      assert.ok(!('error' in built), `${codec} in ${container}: ${'error' in built ? built.error : ''}`);
      const args = built.args;
      assert.equal(args[args.indexOf('-f') + 1], CONTAINER_TABLE[container].muxer);
      assert.ok(def.encoders.includes(args[args.indexOf('-c:v') + 1]), `${codec} encoder from the table`);
    }
  }
});

// The dailies fields: the schema's lists are the engine's.
interface DailiesSchema {
  properties: Record<string, { enum?: string[]; properties?: Record<string, unknown> }>;
  allOf: {
    if?: { properties?: { jobspec_version?: { const?: string } } };
    then?: { properties?: Record<string, unknown> };
    else?: { properties?: Record<string, unknown> };
  }[];
}
const dailies = schema as unknown as DailiesSchema;

test('source_checksum, burn_in and preset fields in the schema are the engine’s lists', () => {
  assert.deepEqual(dailies.properties.source_checksum.enum, [...core.checksum.CHECKSUM_ALGORITHMS]);
  assert.deepEqual(Object.keys(dailies.properties.burn_in.properties ?? {}), [
    ...core.burnin.BURN_IN_POSITIONS,
    'font_size',
    'box_opacity',
    'font',
  ]);
  for (const f of core.presets.PRESET_FIELDS) assert.ok(f in dailies.properties, `a preset sets ${f}, a field of the schema`);
});

test('the version switch refuses exactly the other format’s fields: the origin’s 19 against this format’s own', () => {
  const rule = dailies.allOf.find((r) => r.if?.properties?.jobspec_version?.const === '2.1');
  assert.ok(rule, 'a rule switching on jobspec_version "2.1"');
  const refused = (branch?: { properties?: Record<string, unknown> }): string[] =>
    Object.entries(branch?.properties ?? {})
      .filter(([, v]) => v === false)
      .map(([k]) => k)
      .sort();
  const all = Object.keys(dailies.properties).filter((k) => k !== '$schema');
  const origin: string[] = [...core.origin.ORIGIN_FIELDS];
  assert.deepEqual(
    refused(rule.then),
    all.filter((k) => !origin.includes(k)).sort(),
    'a 2.1 file refuses every field the origin does not have',
  );
  assert.deepEqual(
    refused(rule.else),
    origin.filter((k) => !core.jobspec.KNOWN_FIELDS.includes(k)).sort(),
    'this format refuses the origin-only fields',
  );
  assert.ok(
    origin.every((k) => k in dailies.properties),
    'every origin field is described for the editor',
  );
});
