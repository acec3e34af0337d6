// Naming-template tokens: parsing, checking and per-clip resolution.
import * as path from 'node:path';

export const TOKENS = ['source_name', 'source_ext', 'index', 'job_id', 'date', 'time', 'codec', 'resolution'] as const;
export type Token = (typeof TOKENS)[number];

export type TemplatePart = { kind: 'text'; text: string } | { kind: 'token'; token: Token };

export interface TemplateError {
  code: 'naming-unknown-token' | 'naming-unclosed-brace' | 'naming-stray-brace';
  message: string;
  /** Character offset inside the template string. */
  at: number;
}

export function parseTemplate(template: string): { parts: TemplatePart[]; errors: TemplateError[] } {
  const parts: TemplatePart[] = [];
  const errors: TemplateError[] = [];
  let text = '';
  let i = 0;
  // The next "}" after i, found once and reused: searching afresh at every "{" made a template of
  // many unclosed braces quadratic (a megabyte of "{" took seconds). -1 once there is none left.
  let closeAt = -2;
  while (i < template.length) {
    const ch = template[i];
    if (ch === '{') {
      if (closeAt !== -1 && closeAt <= i) closeAt = template.indexOf('}', i + 1);
      const close = closeAt;
      const nextOpen = template.indexOf('{', i + 1);
      if (close === -1 || (nextOpen !== -1 && nextOpen < close)) {
        const frag = template.slice(i, nextOpen === -1 ? undefined : nextOpen);
        errors.push({
          code: 'naming-unclosed-brace',
          message: `naming_template has an unclosed token "${frag}" at character ${i + 1}: close it with "}", e.g. {index}.`,
          at: i,
        });
        text += frag;
        i = nextOpen === -1 ? template.length : nextOpen;
        continue;
      }
      const name = template.slice(i + 1, close);
      if ((TOKENS as readonly string[]).includes(name)) {
        if (text) parts.push({ kind: 'text', text });
        text = '';
        parts.push({ kind: 'token', token: name as Token });
      } else {
        errors.push({
          code: 'naming-unknown-token',
          message: `naming_template uses an unknown token "{${name}}". Known tokens: ${TOKENS.map((t) => `{${t}}`).join(' ')}.`,
          at: i,
        });
        text += template.slice(i, close + 1);
      }
      i = close + 1;
      continue;
    }
    if (ch === '}') {
      errors.push({
        code: 'naming-stray-brace',
        message: `naming_template has a "}" at character ${i + 1} with no "{" before it: remove it or complete the token.`,
        at: i,
      });
    }
    text += ch;
    i++;
  }
  if (text) parts.push({ kind: 'text', text });
  return { parts, errors };
}

export function usesToken(parts: TemplatePart[], token: Token): boolean {
  return parts.some((p) => p.kind === 'token' && p.token === token);
}

export interface NamingContext {
  source: string;
  index: number;
  total: number;
  /** `{index}` digits when fixed by an earlier run of the job; default from `total`. */
  indexWidth?: number;
  jobId: string;
  codec: string;
  resolution: string;
  /** The run's start; {date} and {time} are fixed once per run. */
  now: Date;
}

export function indexWidth(total: number): number {
  return Math.max(3, String(Math.max(0, total - 1)).length);
}

export function splitSourceName(source: string): { name: string; ext: string } {
  const base = path.basename(source);
  const ext = path.extname(base);
  // A dot-file such as ".clip" has no extension, as in path.extname.
  return { name: ext ? base.slice(0, -ext.length) : base, ext: ext.replace(/^\./, '') };
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

export function tokenValue(token: Token, ctx: NamingContext): string {
  switch (token) {
    case 'source_name':
      return splitSourceName(ctx.source).name;
    case 'source_ext':
      return splitSourceName(ctx.source).ext;
    case 'index':
      return String(ctx.index).padStart(ctx.indexWidth ?? indexWidth(ctx.total), '0');
    case 'job_id':
      return ctx.jobId;
    case 'date':
      return `${ctx.now.getFullYear()}${pad2(ctx.now.getMonth() + 1)}${pad2(ctx.now.getDate())}`;
    case 'time':
      return `${pad2(ctx.now.getHours())}${pad2(ctx.now.getMinutes())}${pad2(ctx.now.getSeconds())}`;
    case 'codec':
      return ctx.codec;
    case 'resolution':
      return ctx.resolution;
  }
}

export function resolveTemplate(parts: TemplatePart[], ctx: NamingContext): string {
  return parts.map((p) => (p.kind === 'text' ? p.text : tokenValue(p.token, ctx))).join('');
}

/** Why a resolved file name cannot be used, or null when it is fine. */
export function fileNameProblem(name: string, fullName: string): string | null {
  if (name.length === 0) return 'resolves to an empty name';
  if (name.includes('/') || name.includes('\\')) return `resolves to "${name}", which contains a path separator`;
  if (name === '.' || name === '..' || name.split(/[/\\]/).includes('..'))
    return `resolves to "${name}", which would leave output_directory`;
  if (name.includes('\0')) return 'resolves to a name with a NUL character';
  if (Buffer.byteLength(fullName, 'utf8') > 255) {
    return `resolves to "${fullName.slice(0, 40)}…", ${Buffer.byteLength(fullName, 'utf8')} bytes long; file names may be at most 255 bytes`;
  }
  return null;
}
