// What the one schema says that quick fixes need: the fields, which are required, each field's
// allowed values and bounds, and the codec/container matrix (from the schema's conditionals, so it
// is never written down twice). Pure: no `vscode`.
import schemaJson from '../../schemas/jobspec.schema.json';
import { CONTAINERS, type Container } from '../core';

interface SchemaNode {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  required?: string[];
  properties?: Record<string, SchemaNode>;
  anyOf?: SchemaNode[];
  allOf?: { if?: SchemaNode; then?: SchemaNode }[];
}

const schema = schemaJson as unknown as SchemaNode;
const props = schema.properties ?? {};

export const KNOWN_FIELDS: readonly string[] = Object.keys(props).filter((k) => k !== '$schema');
export const REQUIRED_FIELDS: readonly string[] = schema.required ?? [];

/** The values a field may take, when the schema lists them (in an enum, or an enum inside anyOf). */
export function enumOf(field: string): string[] {
  const p = props[field];
  const values = p?.enum ?? p?.anyOf?.find((b) => b.enum)?.enum ?? [];
  return values.filter((v): v is string => typeof v === 'string');
}

export function limitsOf(field: string): { min?: number; max?: number; integer: boolean } {
  const p = props[field];
  return { min: p?.minimum, max: p?.maximum, integer: p?.type === 'integer' };
}

export function typeOf(field: string): string | undefined {
  const t = props[field]?.type;
  return Array.isArray(t) ? t[0] : t;
}

/** The containers the schema allows for this codec (all of them for a codec it does not know). */
export function containersFor(codec: string): Container[] {
  for (const rule of schema.allOf ?? []) {
    const when = rule.if?.properties?.codec;
    const codecs = when?.enum ?? (when?.const !== undefined ? [when.const] : undefined);
    const pattern = rule.then?.properties?.container?.pattern;
    if (codecs?.includes(codec) && pattern) {
      const re = new RegExp(pattern);
      return CONTAINERS.filter((c) => re.test(c));
    }
  }
  return [...CONTAINERS];
}

/** The usual proxy codec for a container, for a JobSpec that names the container but no codec. */
export function codecFor(container: string): string | undefined {
  const preferred = ['prores_proxy', 'dnxhr_lb', 'h264', 'vp9', 'av1'];
  return preferred.find((codec) => (containersFor(codec) as string[]).includes(container));
}
