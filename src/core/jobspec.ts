// Load, parse and validate a JobSpec: the schema first (the same file VS Code reads), then the
// meaning checks of the contract. Every problem is reported at once, located by a JSON pointer.
import * as fs from 'node:fs/promises';
import { constants as fsConstants, lstatSync, type Stats } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ErrorObject, ValidateFunction } from 'ajv';
import * as jsonc from 'jsonc-parser';
import { schema as compiledSchema, validate as compiledValidator } from './jobspec-validator.generated';
import { containerDef, normalizeCodec, normalizeContainer } from './formats';
import { nameKey, outputCollisions, outputsThatAreSources, sameFile, type IdentifiedFile } from './identity';
import { fileNameProblem, parseTemplate, resolveTemplate, usesToken } from './naming';
import { lookupFailure, quote, quoteJson, shorten } from './text';
import { commonFolder } from './identity';
import { outputFolder } from './layout';
import { BURN_IN_POSITIONS, DEFAULT_BOX_OPACITY, DEFAULT_FONT_SIZE, findSystemFont, NO_FONT_MESSAGE, parseBurnIn } from './burnin';
import { checkLutFile } from './lut';
import { checkOrigin, ORIGIN_FIELDS, ORIGIN_VERSION, SHARED_FIELDS } from './origin';
import { BUILTIN_PRESETS, didYouMean, loadUserPresets, type Preset } from './presets';
import type {
  AudioPolicy,
  BurnInPosition,
  BurnInSpec,
  ChecksumAlgorithm,
  Codec,
  Container,
  JobSpec,
  Layout,
  LutInfo,
  Problem,
} from './types';

export type LoadResult = { ok: true; spec: JobSpec; problems: Problem[] } | { ok: false; problems: Problem[] };

export interface ValidateOptions {
  /** Check that sources and the output folder exist (default true). Editors may turn it off for speed. */
  checkFilesystem?: boolean;
  /** Prove the output folder writable by creating and removing a file in it (default false: access() only). */
  probeWritable?: boolean;
  /** The run's clock, for {date}/{time} in output names. */
  now?: Date;
  /**
   * Stat sources synchronously: about twice as fast for thousands of sources, but it blocks the
   * thread, so only for a process that has nothing else to do meanwhile (the headless command),
   * never the editor's extension host, where a stalled network share would freeze the UI.
   */
  blockingFs?: boolean;
  /** Home folder for `~` (tests). */
  home?: string;
  /**
   * A template for a media watch folder: a JobSpec without `sources` (each batch of clips supplies
   * them), whose proxies are named after their clips.
   */
  template?: boolean;
}

/**
 * The schema's validator, compiled from schemas/jobspec.schema.json by ajv at build time
 * (scripts/gen-validator.mjs, run by `npm run build`): compiling it at start-up cost every command
 * about 40 ms. The ajv options (allErrors, verbose, VS Code's keywords, date-time) live there.
 */
/**
 * The schema as the validator was compiled from it (schemas/jobspec.schema.json without what only the
 * editor reads): its fields in order and its rules.
 */
const schema = compiledSchema as { properties: Record<string, unknown>; allOf: unknown[] };

function getValidator(): ValidateFunction {
  return compiledValidator as unknown as ValidateFunction;
}

/** Fields of the origin project's format (2.1) alone: in this format they are refused. */
const ORIGIN_ONLY = (ORIGIN_FIELDS as readonly string[]).filter((f) => !(SHARED_FIELDS as readonly string[]).includes(f));
/** This format's fields (the schema also describes the origin's, for the editor). */
export const KNOWN_FIELDS = Object.keys(schema.properties).filter((k) => !ORIGIN_ONLY.includes(k));
/** The order fields are listed in: problems at one place (several missing fields) follow it. */
const FIELD_ORDER = Object.keys(schema.properties);

/** Read a JobSpec file from disk and validate it. */
export async function loadJobSpec(file: string, opts: ValidateOptions = {}): Promise<LoadResult & { text: string }> {
  const abs = path.resolve(file);
  let text: string;
  try {
    const st = await fs.stat(abs);
    if (st.isDirectory()) {
      return {
        ok: false,
        text: '',
        problems: [problem('', 'jobspec-unreadable', `${abs} is a folder, not a JobSpec file: give the path of a *.jobspec.json file.`)],
      };
    }
    const bytes = await fs.readFile(abs);
    const encoding = unsupportedEncoding(bytes);
    if (encoding) {
      return {
        ok: false,
        text: '',
        problems: [
          {
            ...problem(
              '',
              'jobspec-encoding',
              `${quote(abs)} is ${encoding} text; a JobSpec is read as UTF-8. Save it as UTF-8 (in VS Code: the encoding in the status bar, then Save with Encoding, UTF-8).`,
              'error',
              'syntax',
            ),
            offset: 0,
            length: 0,
            line: 1,
            column: 1,
          },
        ],
      };
    }
    text = bytes.toString('utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'it does not exist' : code === 'EACCES' ? 'permission denied' : String((err as Error).message);
    return {
      ok: false,
      text: '',
      problems: [problem('', 'jobspec-unreadable', `Cannot read JobSpec ${abs}: ${why}. Check the path and its permissions.`)],
    };
  }
  return { ...(await validateJobSpecText(text, abs, opts)), text };
}

/** "UTF-16 (little-endian)" and the like for text that is not UTF-8, by its byte order mark or its NUL bytes. */
function unsupportedEncoding(b: Buffer): string | null {
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xfe && b[2] === 0 && b[3] === 0) return 'UTF-32 (little-endian)';
  if (b.length >= 4 && b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff) return 'UTF-32 (big-endian)';
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) return 'UTF-16 (little-endian)';
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) return 'UTF-16 (big-endian)';
  // Without a byte order mark, UTF-16 JSON shows a NUL beside every ASCII character.
  const head = b.subarray(0, 64);
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i < head.length; i++) {
    if (head[i] !== 0) continue;
    if (i % 2 === 0) evenNul++;
    else oddNul++;
  }
  if (head.length >= 8 && oddNul >= head.length / 4 && evenNul === 0) return 'UTF-16 (little-endian)';
  if (head.length >= 8 && evenNul >= head.length / 4 && oddNul === 0) return 'UTF-16 (big-endian)';
  return null;
}

function problem(
  pointer: string,
  code: string,
  message: string,
  severity: Problem['severity'] = 'error',
  kind: Problem['kind'] = 'meaning',
): Problem {
  return { pointer, code, message, severity, kind };
}

export function pointerOf(segments: (string | number)[]): string {
  return segments.map((s) => '/' + String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

function pointerSegments(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

// Offsets where each line starts, for the last text seen: locating N problems is then N binary
// searches, not N scans of the file (10,000 sources once took seconds).
let lineStartsFor: { text: string; starts: number[] } | undefined;

function lineCol(text: string, offset: number): { line: number; column: number } {
  if (lineStartsFor?.text !== text) {
    const starts = [0];
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
    lineStartsFor = { text, starts };
  }
  const { starts } = lineStartsFor;
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - starts[lo] + 1 };
}

/** Attach offset, length, line and column to each problem from its pointer. */
function locate(problems: Problem[], text: string, tree: jsonc.Node | undefined): Problem[] {
  for (const p of problems) {
    if (p.offset !== undefined) continue;
    let node = tree ? jsonc.findNodeAtLocation(tree, pointerSegments(p.pointer)) : undefined;
    // An unknown field points at its key, so the squiggle sits on the name that is wrong.
    if (node && p.code === 'unknown-field' && node.parent?.type === 'property') node = node.parent.children?.[0];
    if (!node && tree) node = tree;
    if (node) {
      p.offset = node.offset;
      p.length = node.length;
      Object.assign(p, lineCol(text, node.offset));
    }
  }
  return problems;
}

const SYNTAX_MESSAGES: Record<number, string> = {
  [jsonc.ParseErrorCode.InvalidSymbol]: 'unexpected character',
  [jsonc.ParseErrorCode.InvalidNumberFormat]: 'invalid number',
  [jsonc.ParseErrorCode.PropertyNameExpected]: 'a property name in double quotes was expected',
  [jsonc.ParseErrorCode.ValueExpected]: 'a value was expected',
  [jsonc.ParseErrorCode.ColonExpected]: 'a colon was expected',
  [jsonc.ParseErrorCode.CommaExpected]: 'a comma was expected',
  [jsonc.ParseErrorCode.CloseBraceExpected]: 'a closing } was expected',
  [jsonc.ParseErrorCode.CloseBracketExpected]: 'a closing ] was expected',
  [jsonc.ParseErrorCode.EndOfFileExpected]: 'nothing more was expected after the JobSpec object',
  [jsonc.ParseErrorCode.InvalidCommentToken]: 'comments are not allowed in JSON',
  [jsonc.ParseErrorCode.UnexpectedEndOfComment]: 'unexpected end of comment',
  [jsonc.ParseErrorCode.UnexpectedEndOfString]: 'unterminated string',
  [jsonc.ParseErrorCode.UnexpectedEndOfNumber]: 'unexpected end of number',
  [jsonc.ParseErrorCode.InvalidUnicode]: 'invalid unicode escape',
  [jsonc.ParseErrorCode.InvalidEscapeCharacter]: 'invalid escape character',
  [jsonc.ParseErrorCode.InvalidCharacter]: 'invalid character in a string (control characters must be escaped)',
};

/** Deeper than any JobSpec needs (2), far below what overflows the recursive parser (a few thousand). */
const MAX_NESTING = 100;

/** The offset of the first bracket nested deeper than MAX_NESTING outside strings, or null. */
function nestedTooDeep(text: string): number | null {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 92)
        i++; // backslash: skip the escaped character
      else if (ch === 34) inString = false;
    } else if (ch === 34) inString = true;
    else if (ch === 91 || ch === 123) {
      if (++depth > MAX_NESTING) return i;
    } else if (ch === 93 || ch === 125) depth--;
  }
  return null;
}

function parseText(text: string, file: string): { value?: unknown; tree?: jsonc.Node; problems: Problem[] } {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') {
    return {
      problems: [
        {
          ...problem(
            '',
            'json-empty',
            `${file} is empty: a JobSpec is a JSON object with sources, output_directory, codec, container, resolution and naming_template.`,
          ),
          offset: 0,
          length: 0,
          line: 1,
          column: 1,
        },
      ],
    };
  }
  const deep = nestedTooDeep(text);
  if (deep !== null) {
    const lc = lineCol(text, deep);
    return {
      problems: [
        {
          ...problem(
            '',
            'json-too-deep',
            `${file} nests arrays and objects more than ${MAX_NESTING} levels deep (at line ${lc.line}, column ${lc.column}); a JobSpec is one object of plain values and a list of paths.`,
          ),
          offset: deep,
          length: 1,
          ...lc,
        },
      ],
    };
  }
  const errors: jsonc.ParseError[] = [];
  // A byte order mark is read as a space, so offsets, lines and columns stay those of the file.
  const source = body === text ? text : ' ' + body;
  const tree = jsonc.parseTree(source, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  if (errors.length > 0) {
    const problems = errors.map((e) => {
      const lc = lineCol(text, e.offset);
      return {
        ...problem(
          '',
          'json-syntax',
          `${file} is not valid JSON at line ${lc.line}, column ${lc.column}: ${SYNTAX_MESSAGES[e.error] ?? jsonc.printParseErrorCode(e.error)}.`,
          'error',
          'syntax',
        ),
        offset: e.offset,
        length: e.length,
        ...lc,
      };
    });
    return { problems };
  }
  const duplicates = tree ? duplicateKeys(tree, text, file) : [];
  if (duplicates.length > 0) return { problems: duplicates };
  const huge = tree ? unrepresentableNumbers(tree, text, file) : [];
  if (huge.length > 0) return { problems: huge };
  return { value: tree ? jsonc.getNodeValue(tree) : undefined, tree, problems: [] };
}

/**
 * A key given twice in one object: JSON parsers keep one of them silently (here the last), so
 * `"overwrite": "never"` followed by `"overwrite": "replace"` would replace. Refuse it instead.
 */
function duplicateKeys(tree: jsonc.Node, text: string, file: string): Problem[] {
  const problems: Problem[] = [];
  const stack: jsonc.Node[] = [tree];
  while (stack.length > 0) {
    const node = stack.pop() as jsonc.Node;
    if (node.type === 'object') {
      const first = new Map<string, jsonc.Node>();
      for (const prop of node.children ?? []) {
        const key = prop.children?.[0];
        if (!key || typeof key.value !== 'string') continue;
        const earlier = first.get(key.value);
        if (earlier) {
          const here = lineCol(text, key.offset);
          const there = lineCol(text, earlier.offset);
          const pointer = pointerOf(jsonc.getNodePath(key));
          problems.push({
            ...problem(
              pointer,
              'duplicate-key',
              `${file}: "${key.value}" is given twice (line ${there.line}, column ${there.column} and line ${here.line}, column ${here.column}); JSON would keep only one of them, so remove the one you do not mean.`,
              'error',
              'syntax',
            ),
            offset: key.offset,
            length: key.length,
            ...here,
          });
        } else {
          first.set(key.value, key);
        }
      }
    }
    for (const child of node.children ?? []) stack.push(child);
  }
  return problems.sort((a, b) => (a.offset ?? 0) - (b.offset ?? 0));
}

/** Numbers such as 1e400 that JSON allows and a double cannot hold: they would read as Infinity. */
function unrepresentableNumbers(tree: jsonc.Node, text: string, file: string): Problem[] {
  const problems: Problem[] = [];
  const stack: jsonc.Node[] = [tree];
  while (stack.length > 0) {
    const node = stack.pop() as jsonc.Node;
    if (node.type === 'number' && !Number.isFinite(node.value as number)) {
      const lc = lineCol(text, node.offset);
      const written = text.slice(node.offset, node.offset + node.length);
      problems.push({
        ...problem(
          pointerOf(jsonc.getNodePath(node)),
          'number-out-of-range',
          `${quote(file)}: the number ${quote(written, 40)} at line ${lc.line}, column ${lc.column} is too large to be a number at all; write the value the field takes.`,
          'error',
          'syntax',
        ),
        offset: node.offset,
        length: node.length,
        ...lc,
      });
    }
    for (const child of node.children ?? []) stack.push(child);
  }
  return problems;
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 60 ? v.slice(0, 60) + '…' : v)}`;
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** A value the user wrote, as JSON, shortened when absurdly long: a 100 KB string must not make a 100 KB message. */
function shownValue(v: unknown): string {
  return typeof v === 'string' ? quoteJson(v) : shorten(JSON.stringify(v) ?? String(v));
}

function fieldName(pointer: string): string {
  const segs = pointerSegments(pointer);
  return segs.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('') || 'the JobSpec';
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length][b.length];
}

const TYPE_HINTS: Record<string, string> = {
  sources: 'an array of file paths, e.g. ["media/A001.mov"]',
  output_directory: 'a folder path string',
  naming_template: 'a string such as "{source_name}_proxy"',
  fps_explicit: 'a number such as 25 or 23.976',
  max_concurrent_jobs: 'a whole number from 1 to 16',
};

/**
 * The schema's rules that tie two fields together (one field only makes sense with a value of the
 * other), found by what they require rather than by their position in `allOf`.
 */
const PAIRED_RULES: { index: number; pointer: string; code: string; message: string }[] = (() => {
  type Rule = { if?: { required?: string[]; properties?: Record<string, { const?: string }> } };
  const rules = (schema as { allOf: Rule[] }).allOf;
  const find = (pred: (r: Rule) => boolean): number => rules.findIndex(pred);
  return [
    {
      index: find((r) => r.if?.properties?.fps_mode?.const === 'explicit'),
      pointer: '/fps_mode',
      code: 'fps-explicit-missing',
      message: 'fps_mode is "explicit" but fps_explicit is missing: add "fps_explicit" with the frame rate, e.g. 25 or 23.976.',
    },
    {
      index: find((r) => r.if?.required?.[0] === 'fps_explicit'),
      pointer: '/fps_explicit',
      code: 'fps-explicit-unused',
      message: 'fps_explicit is set but fps_mode is not "explicit": add "fps_mode": "explicit" to apply it, or remove fps_explicit.',
    },
    {
      index: find((r) => r.if?.required?.[0] === 'layout_root'),
      pointer: '/layout_root',
      code: 'layout-root-unused',
      message:
        'layout_root is set but layout is not "mirror": add "layout": "mirror" to recreate the sources\' folders under output_directory, or remove layout_root.',
    },
    {
      index: find((r) => r.if?.required?.[0] === 'proxy_folder'),
      pointer: '/proxy_folder',
      code: 'proxy-folder-unused',
      message:
        'proxy_folder is set but layout is not "beside-source": add "layout": "beside-source" to put proxies in a folder beside each source, or remove proxy_folder.',
    },
  ].filter((r) => r.index >= 0);
})();

function schemaProblems(errors: ErrorObject[], origin = false): Problem[] {
  const out: Problem[] = [];
  const known = origin ? [...ORIGIN_FIELDS] : KNOWN_FIELDS.filter((k) => k !== '$schema');
  const seen = new Set<string>();
  const push = (p: Problem): void => {
    const key = p.pointer + '\0' + p.message;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(p);
    }
  };
  // anyOf branches report their own failures; the anyOf error itself carries the message we want.
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  for (const e of errors) {
    const ptr = e.instancePath;
    const field = fieldName(ptr);
    const parent = (e.parentSchema ?? {}) as { patternErrorMessage?: string };
    if (e.keyword === 'if') continue;
    if (anyOfPaths.has(ptr) && e.schemaPath.includes('/anyOf/')) continue;
    const pairing = PAIRED_RULES.find((r) => e.schemaPath.startsWith(`#/allOf/${r.index}/`));
    if (pairing) {
      push(problem(pairing.pointer, pairing.code, pairing.message));
      continue;
    }
    switch (e.keyword) {
      case 'additionalProperties': {
        const name = String((e.params as { additionalProperty: string }).additionalProperty);
        // No field name is longer than 20 characters: a longer key is no typo of one, and the edit
        // distance of a megabyte-long key took seconds.
        const near =
          name.length > 64 ? undefined : known.map((k) => ({ k, d: editDistance(name.toLowerCase(), k) })).sort((a, b) => a.d - b.d)[0];
        const hint =
          near && near.d <= Math.max(2, Math.floor(name.length / 3))
            ? ` Did you mean "${near.k}"?`
            : ` Known fields${origin ? ' of the origin format (2.1)' : ''}: ${known.join(', ')}.`;
        const shownName = name.length > 60 ? `${name.slice(0, 60)}…` : name;
        push(
          problem(
            pointerOf([...pointerSegments(ptr), name]),
            'unknown-field',
            `Unknown field "${shownName}": remove it or fix its spelling.${hint}`,
          ),
        );
        break;
      }
      case 'required': {
        const name = String((e.params as { missingProperty: string }).missingProperty);
        push(problem(ptr, 'required', `Missing required field "${name}".${TYPE_HINTS[name] ? ` It takes ${TYPE_HINTS[name]}.` : ''}`));
        break;
      }
      case 'false schema': {
        // A field of the other format (the schema's version switch refuses it by name).
        const name = String(pointerSegments(ptr)[0] ?? field);
        push(
          problem(
            ptr,
            'other-format-field',
            origin
              ? `${name} is not a field of the origin project's format (jobspec_version "2.1"), which refuses unknown fields: remove it, or convert the file to this tool's format (jobspec convert) and set it there.`
              : `${name} is a field of the origin project's format: it is read only with "jobspec_version": "2.1". Remove it, or write the file in that format.`,
          ),
        );
        break;
      }
      case 'type': {
        const want = String((e.params as { type: string }).type);
        const hint = TYPE_HINTS[String(pointerSegments(ptr)[0])];
        const isItem = /^\/sources\/\d+$/.test(ptr);
        push(
          problem(
            ptr,
            'type',
            `${field} must be ${isItem ? 'a file path string' : hint && !ptr.includes('/', 1) ? hint : `a ${want}`}, not ${describeValue(e.data)}.`,
          ),
        );
        break;
      }
      case 'enum': {
        const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ');
        if (ptr === '/jobspec_version') {
          push(
            problem(
              ptr,
              'unknown-version',
              `Unknown jobspec_version ${shownValue(e.data)}: this tool understands "1" (its own format) and "2.1" (the origin project's). Upgrade the tool, or write the JobSpec for version "1".`,
            ),
          );
        } else {
          push(problem(ptr, 'enum', `${field} ${shownValue(e.data)} is not allowed. Use one of: ${allowed}.`));
        }
        break;
      }
      case 'anyOf':
      case 'pattern': {
        // A value that is none of a list of names (codec, preset): said as the list, like an enum.
        const listed = (e.parentSchema as { anyOf?: { enum?: unknown[] }[] } | undefined)?.anyOf?.find((a) => a.enum)?.enum;
        if (e.keyword === 'anyOf' && !parent.patternErrorMessage && listed) {
          push(
            problem(
              ptr,
              'enum',
              `${field} ${shownValue(e.data)} is not allowed. Use one of: ${listed.map((v) => JSON.stringify(v)).join(', ')}.`,
            ),
          );
          break;
        }
        const msg = parent.patternErrorMessage ?? e.message ?? 'invalid value';
        push(
          problem(
            ptr,
            e.keyword === 'anyOf' ? 'enum' : ptr === '/container' ? 'codec-container' : 'pattern',
            `${msg} Got ${shownValue(e.data)}.`,
          ),
        );
        break;
      }
      case 'const':
        push(problem(ptr, 'const', `${field} must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}.`));
        break;
      case 'minItems':
        push(problem(ptr, 'sources-empty', `${field} is empty: list at least one source clip.`));
        break;
      case 'uniqueItems':
        // The meaning checks name duplicates after resolving paths, which covers the literal ones too.
        break;
      case 'minLength':
        push(problem(ptr, 'empty-string', `${field} is an empty string.`));
        break;
      case 'format':
        push(problem(ptr, 'format', `${field} must be an RFC 3339 date-time such as "2025-12-28T12:00:00Z", not ${shownValue(e.data)}.`));
        break;
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum': {
        const p = e.params as { comparison: string; limit: number };
        push(problem(ptr, 'range', `${field} must be ${p.comparison} ${p.limit}, not ${shownValue(e.data)}.`));
        break;
      }
      default:
        push(problem(ptr, e.keyword, `${field} ${e.message ?? 'is invalid'}.`));
    }
  }
  // Several missing fields are all at the top of the file: list them in the schema's order.
  const rank = (p: Problem): number => (p.code === 'required' ? FIELD_ORDER.indexOf(/"([^"]+)"/.exec(p.message)?.[1] ?? '') : -1);
  const required = out.filter((p) => p.code === 'required').sort((a, b) => rank(a) - rank(b));
  let r = 0;
  return out.map((p) => (p.code === 'required' ? required[r++] : p));
}

export function expandHome(p: string, home: string = os.homedir()): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return path.join(home, p.slice(2));
  return p;
}

export function resolveAgainst(dir: string, p: string, home?: string): string {
  return path.resolve(dir, expandHome(p, home));
}

export { normalizeCodec, normalizeContainer } from './formats';

export function randomJobId(): string {
  return randomBytes(4).toString('hex');
}

/** Validate JobSpec text. `file` is the JobSpec's path: relative paths resolve against its folder. */
export async function validateJobSpecText(text: string, file: string, opts: ValidateOptions = {}): Promise<LoadResult> {
  const abs = path.resolve(file);
  const parsed = parseText(text, abs);
  if (parsed.problems.length > 0) return { ok: false, problems: parsed.problems };
  const data = parsed.value;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return {
      ok: false,
      problems: locate(
        [
          problem(
            '',
            'not-object',
            `${abs} holds ${describeValue(data)}; a JobSpec must be a JSON object with sources, output_directory, codec, container, resolution and naming_template.`,
            'error',
            'schema',
          ),
        ],
        text,
        parsed.tree,
      ),
    };
  }
  const obj = data as Record<string, unknown>;
  const origin = obj.jobspec_version === ORIGIN_VERSION;
  const validate = getValidator();
  const notTemplateRequired = (p: Problem): boolean => !(opts.template && p.code === 'required' && missingField(p) === 'sources');
  const problems: Problem[] = validate(obj)
    ? []
    : schemaProblems(validate.errors ?? [], origin)
        .filter(notTemplateRequired)
        .map((p) => ({ ...p, kind: 'schema' as const }));
  const bad = new Set(problems.map(topField));

  // The origin project's format: its own checks, then the same job in this format.
  let working = obj;
  let presetPointer = '/preset';
  if (origin) {
    const o = checkOrigin(obj);
    for (const p of o.problems) problems.push(p);
    working = o.translated;
    presetPointer = '/proxy_profile';
  }
  // A preset's fields under the JobSpec's own, then every rule of the schema on the result.
  const merged = await mergePreset(working, path.dirname(abs), presetPointer, bad);
  for (const p of merged.problems) problems.push(p);
  working = merged.obj;
  if (working !== obj) {
    const seen = new Set(problems.map((p) => `${p.pointer}\0${p.message}`));
    const again = validate(working) ? [] : schemaProblems(validate.errors ?? []).filter(notTemplateRequired);
    for (const p of again) {
      const field = topField(p);
      // Named already from the file as written (a wrong type, a missing field).
      if (bad.has(field) || (p.code === 'required' && bad.has(missingField(p) ?? ''))) continue;
      const shown: Problem = merged.fromPreset.has(field)
        ? { ...p, pointer: presetPointer, message: `${merged.label} sets ${field}, and ${lowerFirst(p.message)}` }
        : {
            ...p,
            message: merged.fromPreset.size ? `${p.message} (${merged.label} sets ${[...merged.fromPreset].join(', ')}.)` : p.message,
          };
      // Found only in the merged or translated form, which an editor's schema check does not see.
      shown.kind = 'meaning';
      bad.add(field);
      const key = `${shown.pointer}\0${shown.message}`;
      if (!seen.has(key)) {
        seen.add(key);
        problems.push(shown);
      }
    }
  }
  const ok = (field: string): boolean => !bad.has(field) && working[field] !== undefined;

  const meaning = await meaningChecks(working, abs, ok, opts, { preset: merged.preset?.name, origin });
  // A loop, not push(...list): spreading hundreds of thousands of problems overflows the stack.
  for (const p of meaning.problems) problems.push(p);
  locate(problems, text, parsed.tree);
  // In file order, as a person reads the file; problems without a place stay first.
  problems.sort((a, b) => (a.offset ?? -1) - (b.offset ?? -1));
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length > 0 || !meaning.spec) return { ok: false, problems };
  return { ok: true, spec: meaning.spec, problems };
}

function topField(p: Problem): string {
  return String(pointerSegments(p.pointer)[0] ?? '');
}

function missingField(p: Problem): string | undefined {
  return p.code === 'required' ? /"([^"]+)"/.exec(p.message)?.[1] : undefined;
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

interface Merged {
  obj: Record<string, unknown>;
  preset?: Preset;
  /** Top-level fields the preset supplied (the JobSpec did not set them). */
  fromPreset: Set<string>;
  /** `preset "a_cam" (from /p/.jobspec/presets.json)`, for messages. */
  label: string;
  problems: Problem[];
}

/** All preset names a JobSpec in `dir` can use, for messages. */
async function presetNames(dir: string): Promise<{ builtin: string[]; user: string[]; file: string | null }> {
  const user = await loadUserPresets(dir);
  return { builtin: BUILTIN_PRESETS.map((p) => p.name), user: user.presets.map((p) => p.name), file: user.file };
}

/** The JobSpec's preset found (built-in, then `.jobspec/presets.json`) and its fields put under the JobSpec's own. */
async function mergePreset(obj: Record<string, unknown>, dir: string, pointer: string, bad: Set<string>): Promise<Merged> {
  const none: Merged = { obj, fromPreset: new Set(), label: '', problems: [] };
  const name = obj.preset;
  if (typeof name !== 'string' || bad.has(pointer.slice(1))) return none;
  let preset: Preset | undefined = BUILTIN_PRESETS.find((p) => p.name === name);
  if (!preset) {
    const user = await loadUserPresets(dir);
    if (user.error !== undefined)
      return {
        ...none,
        problems: [problem(pointer, 'presets-file', `preset "${name}" cannot be looked up: ${user.error}. Fix the presets file.`)],
      };
    preset = user.presets.find((p) => p.name === name);
    if (!preset) {
      const names = await presetNames(dir);
      const where = names.file
        ? `; presets in ${names.file}: ${names.user.join(', ') || 'none'}`
        : `; no ${path.join('.jobspec', 'presets.json')} was found in ${dir} or a folder above it`;
      return {
        ...none,
        problems: [
          problem(
            pointer,
            'preset-unknown',
            `Unknown preset ${quoteJson(name, 80)}.${didYouMean(name, [...names.builtin, ...names.user])} Built-in presets: ${names.builtin.join(', ')}${where}.`,
          ),
        ],
      };
    }
  }
  const fromPreset = new Set(Object.keys(preset.fields).filter((k) => obj[k] === undefined));
  const label = `preset "${preset.name}"${preset.source === 'built-in' ? '' : ` (from ${preset.source})`}`;
  return { obj: { ...preset.fields, ...obj }, preset, fromPreset, label, problems: [] };
}

/** A lookup's outcome: the stats, or the errno code that kept it from giving them. */
type Looked = Stats | { error: string };

function errnoOf(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? 'EIO';
}

async function statLooked(p: string, follow: boolean): Promise<Looked> {
  try {
    return follow ? await fs.stat(p) : await fs.lstat(p);
  } catch (err) {
    return { error: errnoOf(err) };
  }
}

function lstatLookedSync(p: string): Looked {
  try {
    return lstatSync(p, { throwIfNoEntry: false }) ?? { error: 'ENOENT' };
  } catch (err) {
    return { error: errnoOf(err) };
  }
}

function isStats(l: Looked | undefined): l is Stats {
  return l !== undefined && !('error' in l);
}

async function realOr(p: string): Promise<string> {
  try {
    return await fs.realpath(p);
  } catch {
    return p;
  }
}

/**
 * Each source's real path from one realpath per folder, plus one per source that is itself a
 * link: a JobSpec of 10,000 clips in one card folder costs one realpath, not 10,000.
 */
async function realPaths(sources: string[], lstats: Looked[]): Promise<string[]> {
  const folders = new Map<string, Promise<string>>();
  return Promise.all(
    sources.map((src, i) => {
      const l = lstats[i];
      if (!isStats(l) || l.isSymbolicLink()) return realOr(src);
      const folder = path.dirname(src);
      let real = folders.get(folder);
      if (!real) {
        real = realOr(folder);
        folders.set(folder, real);
      }
      return real.then((r) => path.join(r, path.basename(src)));
    }),
  );
}

const MAX_NAMING_ERRORS = 20;

async function meaningChecks(
  obj: Record<string, unknown>,
  file: string,
  ok: (field: string) => boolean,
  opts: ValidateOptions,
  extras: { preset?: string; origin: boolean } = { origin: false },
): Promise<{ problems: Problem[]; spec?: JobSpec }> {
  const problems: Problem[] = [];
  const dir = path.dirname(file);
  const checkFs = opts.checkFilesystem !== false;
  const now = opts.now ?? new Date();

  // Sources: resolve, then existence, kind, emptiness and duplicates after resolution.
  const written = ok('sources') ? (obj.sources as string[]) : [];
  const sources = written.map((s) => resolveAgainst(dir, s, opts.home));
  const realSources: string[] = [];
  /** Sources that exist as files, with their stats: what outputs are compared with. */
  const identified: IdentifiedFile[] = [];
  if (ok('sources')) {
    // lstat first: only links need a second stat (to follow them) and a realpath of their own.
    const lstats: Looked[] = !checkFs
      ? []
      : opts.blockingFs
        ? sources.map((s) => lstatLookedSync(s))
        : await Promise.all(sources.map((s) => statLooked(s, false)));
    const stats: Looked[] = checkFs
      ? await Promise.all(lstats.map((l, i) => (isStats(l) && l.isSymbolicLink() ? statLooked(sources[i], true) : Promise.resolve(l))))
      : [];
    const reals = checkFs ? await realPaths(sources, lstats) : sources;
    for (let i = 0; i < sources.length; i++) {
      const src = sources[i];
      const ptr = `/sources/${i}`;
      const shown = written[i] === src ? quote(src) : `${quote(src)} (written as ${quoteJson(written[i])})`;
      if (checkFs) {
        const st = stats[i];
        if (!isStats(st)) {
          const code = st?.error ?? 'ENOENT';
          if (code === 'ENOENT') {
            problems.push(
              problem(ptr, 'source-missing', `Source not found: ${shown}. Check the path; relative paths resolve against ${dir}.`),
            );
          } else {
            problems.push(problem(ptr, 'source-unreadable', `Cannot look at source ${shown}: ${lookupFailure(code, src)}.`));
          }
        } else if (st.isDirectory()) {
          problems.push(
            problem(ptr, 'source-not-file', `Source is a folder, not a clip: ${shown}. List the clip files inside it instead.`),
          );
        } else if (!st.isFile()) {
          problems.push(problem(ptr, 'source-not-file', `Source is not a regular file: ${shown}.`));
        } else if (st.size === 0) {
          problems.push(
            problem(ptr, 'source-empty', `Source is an empty (0-byte) file: ${shown}. The copy may have failed; copy the clip again.`),
          );
        } else {
          identified.push({ index: i, path: src, stat: st });
        }
      }
      realSources.push(reals[i]);
    }
    for (const d of await duplicateSources(reals, identified)) {
      const same = written[d.index] === written[d.first] ? 'repeats' : 'is the same file as';
      problems.push(
        problem(
          `/sources/${d.index}`,
          'source-duplicate',
          `sources[${d.index}] ${quoteJson(written[d.index])} ${same} sources[${d.first}] ${quoteJson(written[d.first])}: each source may appear once (one source makes one proxy).`,
        ),
      );
    }
  }

  // Output folder.
  let outDir = '';
  if (ok('output_directory')) {
    outDir = resolveAgainst(dir, obj.output_directory as string, opts.home);
    if (checkFs) {
      const looked = await statLooked(outDir, true);
      const st = isStats(looked) ? looked : null;
      const ptr = '/output_directory';
      if (!isStats(looked) && looked.error !== 'ENOENT') {
        problems.push(
          problem(
            ptr,
            'output-dir-unreadable',
            `Cannot look at the output folder ${quote(outDir)}: ${lookupFailure(looked.error, outDir)}.`,
          ),
        );
      } else if (!st) {
        problems.push(
          problem(
            ptr,
            'output-dir-missing',
            `Output folder does not exist: ${outDir}. Create it, or point output_directory at an existing folder.`,
          ),
        );
      } else if (!st.isDirectory()) {
        problems.push(
          problem(ptr, 'output-dir-not-directory', `output_directory is a file, not a folder: ${outDir}. Point it at a folder.`),
        );
      } else {
        const why = await notWritable(outDir, opts.probeWritable === true);
        if (why)
          problems.push(
            problem(
              ptr,
              'output-dir-not-writable',
              `Output folder is not writable: ${outDir} (${why}). Fix its permissions or choose another folder.`,
            ),
          );
      }
    }
  }

  const codec = ok('codec') ? normalizeCodec(obj.codec as string) : undefined;
  const container = ok('container') ? normalizeContainer(obj.container as string) : undefined;
  const audio = (obj.audio as AudioPolicy | undefined) ?? 'auto';
  const audioAllowed = container ? containerDef(container).audio : [];
  if (container && ok('audio') && !audioAllowed.includes(audio)) {
    problems.push(
      problem(
        '/audio',
        'audio-container',
        `audio "${audio}" cannot be written to ${container}. For ${container} use one of: ${audioAllowed.join(', ')}.`,
      ),
    );
  }

  const jobIdGiven = typeof obj.job_id === 'string' && ok('job_id');
  const jobId = jobIdGiven ? (obj.job_id as string) : randomJobId();

  // Layout: where each proxy goes, and that it can go there.
  const layout = ok('layout') ? (obj.layout as Layout) : 'flat';
  const proxyFolder = ok('proxy_folder') ? (obj.proxy_folder as string) : 'Proxy';
  let layoutRoot: string | undefined;
  if (layout === 'mirror' && ok('sources')) {
    layoutRoot = ok('layout_root') ? resolveAgainst(dir, obj.layout_root as string, opts.home) : commonFolder(sources);
    if (checkFs && ok('layout_root')) {
      const st = await statLooked(layoutRoot, true);
      if (!isStats(st) || !st.isDirectory())
        problems.push(
          problem(
            '/layout_root',
            'layout-root-missing',
            `layout_root is not an existing folder: ${quote(layoutRoot)}. Point it at the folder whose tree the proxies mirror (a card's root, say).`,
          ),
        );
    }
    sources.forEach((src, i) => {
      const rel = path.relative(layoutRoot as string, path.dirname(src));
      if (rel.startsWith('..') || path.isAbsolute(rel)) {
        problems.push(
          problem(
            `/sources/${i}`,
            'source-outside-layout-root',
            `sources[${i}] ${quoteJson(written[i])} is not inside layout_root ${quote(layoutRoot as string)}: mirror recreates only folders below it. Move layout_root up, or list this source in another JobSpec.`,
          ),
        );
      }
    });
  }
  if (layout === 'beside-source' && checkFs) {
    // Proxies go beside the sources: their folders must take a new folder (a card mounted read-only cannot).
    const seenFolders = new Set<string>();
    for (const f of identified) {
      const folder = path.dirname(f.path);
      if (seenFolders.has(folder)) continue;
      seenFolders.add(folder);
      const why = await notWritable(folder, false);
      if (why)
        problems.push(
          problem(
            `/sources/${f.index}`,
            'proxy-folder-not-writable',
            `The folder of sources[${f.index}] ${quoteJson(written[f.index])} cannot take its ${quoteJson(proxyFolder)} folder: ${quote(folder)} is not writable (${why}). Copy the card to a writable disk, or use layout "flat" or "mirror".`,
          ),
        );
    }
  }
  const placement = { layout, layout_root: layoutRoot, proxy_folder: proxyFolder, output_directory: outDir };

  // Naming: tokens, the multi-source rule, then each resolved name, collisions and outputs that are sources.
  if (ok('naming_template')) {
    const template = obj.naming_template as string;
    const { parts, errors } = parseTemplate(template);
    // The first few are enough to act on; a template of a million braces made a million problems.
    for (const e of errors.slice(0, MAX_NAMING_ERRORS)) problems.push(problem('/naming_template', e.code, e.message));
    if (errors.length > MAX_NAMING_ERRORS) {
      problems.push(
        problem(
          '/naming_template',
          errors[MAX_NAMING_ERRORS].code,
          `naming_template has ${errors.length - MAX_NAMING_ERRORS} more problems like these; fix the ones above first.`,
        ),
      );
    }
    if (errors.length === 0 && opts.template && !usesToken(parts, 'source_name')) {
      problems.push(
        problem(
          '/naming_template',
          'naming-not-unique',
          `naming_template "${template}" must use {source_name} in a watch template: each proxy is named after its clip ({index} counts within one batch and starts again in the next).`,
        ),
      );
    } else if (errors.length === 0 && written.length > 1 && !usesToken(parts, 'index') && !usesToken(parts, 'source_name')) {
      problems.push(
        problem(
          '/naming_template',
          'naming-not-unique',
          `naming_template "${template}" gives every clip the same name: a job with ${written.length} sources must use {index} or {source_name}.`,
        ),
      );
    } else if (errors.length === 0 && codec && container && ok('resolution') && sources.length > 0) {
      const planned: { index: number; path: string }[] = [];
      for (let i = 0; i < sources.length; i++) {
        const name = resolveTemplate(parts, {
          source: sources[i],
          index: i,
          total: sources.length,
          jobId,
          codec,
          resolution: obj.resolution as string,
          now,
        });
        const full = `${name}.${container}`;
        const bad = fileNameProblem(name, full);
        if (bad) {
          problems.push(
            problem(
              `/sources/${i}`,
              bad.includes('empty') ? 'output-name-empty' : 'output-name-invalid',
              `naming_template ${quoteJson(template)} for sources[${i}] ${bad}. Change naming_template (outputs never leave output_directory).`,
            ),
          );
          continue;
        }
        if (outDir) planned.push({ index: i, path: path.join(outputFolder(placement, sources[i]), full) });
      }
      for (const p of await outputProblems(planned, sources, written, realSources, identified, checkFs)) problems.push(p);
    }
  }

  // Dailies: the viewing LUT, the burn-in and its font.
  let lut: LutInfo | undefined;
  if (ok('lut')) {
    const lutPath = resolveAgainst(dir, obj.lut as string, opts.home);
    const checked = await checkLutFile(lutPath);
    if (!checked.ok) problems.push(problem('/lut', 'lut-invalid', `lut: ${checked.error}. Fix or replace the LUT; nothing was run.`));
    else {
      lut = checked.info;
      for (const w of checked.warnings) problems.push(problem('/lut', 'lut-warning', `lut ${quote(lutPath)}: ${w}`, 'warning'));
    }
  }
  let burnIn: BurnInSpec | undefined;
  if (ok('burn_in')) {
    const b = obj.burn_in as Record<string, unknown>;
    const texts: Partial<Record<BurnInPosition, string>> = {};
    for (const pos of BURN_IN_POSITIONS) {
      const t = b[pos];
      if (typeof t !== 'string') continue;
      const { errors } = parseBurnIn(t);
      for (const e of errors.slice(0, 5)) problems.push(problem(`/burn_in/${pos}`, 'burn-in-token', `burn_in.${pos} ${e}.`));
      texts[pos] = t;
    }
    if (Object.keys(texts).length === 0)
      problems.push(
        problem(
          '/burn_in',
          'burn-in-empty',
          `burn_in places no text: give at least one of ${BURN_IN_POSITIONS.join(', ')}, e.g. "bottom_right": "{timecode}".`,
        ),
      );
    let fontFile: string | null = null;
    if (typeof b.font === 'string') {
      fontFile = resolveAgainst(dir, b.font, opts.home);
      const st = await statLooked(fontFile, true);
      if (!isStats(st) || !st.isFile() || st.size === 0) {
        problems.push(
          problem(
            '/burn_in/font',
            'burn-in-font',
            `burn_in.font ${quote(fontFile)} is not a font file that exists. Point it at a .ttf or .otf file, or leave it out to use the system's.`,
          ),
        );
        fontFile = null;
      }
    } else {
      fontFile = await findSystemFont();
      if (!fontFile) problems.push(problem('/burn_in', 'burn-in-no-font', NO_FONT_MESSAGE));
    }
    if (fontFile)
      burnIn = {
        texts,
        font_size: typeof b.font_size === 'number' ? b.font_size : DEFAULT_FONT_SIZE,
        box_opacity: typeof b.box_opacity === 'number' ? b.box_opacity : DEFAULT_BOX_OPACITY,
        font_file: fontFile,
      };
  }

  if (problems.some((p) => p.severity === 'error')) return { problems };
  const spec: JobSpec = {
    jobspec_version: '1',
    job_id: jobId,
    job_id_generated: !jobIdGiven,
    sources,
    sources_as_written: written,
    output_directory: outDir,
    codec: codec as Codec,
    container: container as Container,
    resolution: obj.resolution as string,
    naming_template: obj.naming_template as string,
    fps_mode: (obj.fps_mode as JobSpec['fps_mode'] | undefined) ?? 'same-as-source',
    audio,
    max_concurrent_jobs: (obj.max_concurrent_jobs as number | undefined) ?? 1,
    overwrite: (obj.overwrite as JobSpec['overwrite'] | undefined) ?? 'never',
    prores_encoder: (obj.prores_encoder as JobSpec['prores_encoder'] | undefined) ?? 'prores_ks',
    layout,
    proxy_folder: proxyFolder,
  };
  if (layoutRoot) spec.layout_root = layoutRoot;
  if (typeof obj.fps_explicit === 'number') spec.fps_explicit = obj.fps_explicit;
  if (typeof obj.created_at === 'string') spec.created_at = obj.created_at;
  if (extras.preset) spec.preset = extras.preset;
  if (lut) spec.lut = lut;
  if (burnIn) spec.burn_in = burnIn;
  if (ok('source_checksum')) spec.source_checksum = obj.source_checksum as ChecksumAlgorithm;
  if (extras.origin) spec.dialect = ORIGIN_VERSION;
  return { problems, spec };
}

/**
 * Sources that are one file: one real path, one device and inode (a bind mount, a hard link), or
 * names in one folder that differ only in case or normalization and that the volume resolves to one
 * file (FUSE volumes such as exFAT give each spelling its own inode number).
 */
async function duplicateSources(reals: string[], identified: IdentifiedFile[]): Promise<{ index: number; first: number }[]> {
  const out: { index: number; first: number }[] = [];
  const dupOf = new Map<number, number>();
  const byReal = new Map<string, number>();
  reals.forEach((r, i) => {
    const first = byReal.get(r);
    if (first === undefined) byReal.set(r, i);
    else dupOf.set(i, first);
  });
  const byInode = new Map<string, number>();
  const byFolded = new Map<string, IdentifiedFile>();
  for (const f of identified) {
    if (dupOf.has(f.index)) continue;
    const inode = `${f.stat.dev}:${f.stat.ino}`;
    const first = byInode.get(inode);
    if (first !== undefined) {
      dupOf.set(f.index, first);
      continue;
    }
    byInode.set(inode, f.index);
    const folded = nameKey(reals[f.index], { caseInsensitive: true, normalizationInsensitive: true });
    const near = byFolded.get(folded);
    if (near && (await sameFile(near.path, near.stat, f.path, f.stat))) dupOf.set(f.index, near.index);
    else if (!near) byFolded.set(folded, f);
  }
  for (const [index, first] of dupOf) out.push({ index, first });
  return out.sort((a, b) => a.index - b.index);
}

/**
 * Outputs that collide (one file on the output volume, folding included) and outputs that would land
 * on a source (judged by the file system, through any mount, case or normalization).
 */
async function outputProblems(
  planned: { index: number; path: string }[],
  sources: string[],
  written: string[],
  realSources: string[],
  identified: IdentifiedFile[],
  checkFs: boolean,
): Promise<Problem[]> {
  const problems: Problem[] = [];
  const src = (i: number): string => `sources[${i}] ${quoteJson(written[i])}`;
  const byPath = new Map(planned.map((p) => [p.index, p.path]));
  const { collisions, foldable } = checkFs ? await outputCollisions(planned) : { collisions: collisionsByString(planned), foldable: [] };
  for (const c of collisions) {
    const out = byPath.get(c.index) ?? '';
    const firstOut = byPath.get(c.first) ?? '';
    const how =
      c.folding === null
        ? `both resolve to ${quote(out)}`
        : `resolve to ${quote(firstOut)} and ${quote(out)}, which the output volume treats as one file (it ignores ${foldedWhat(firstOut, out).what})`;
    problems.push(
      problem(
        `/sources/${c.index}`,
        'output-collision',
        `${src(c.index)} and ${src(c.first)} ${how}. Add {index} to naming_template or rename one source.`,
      ),
    );
  }
  for (const c of foldable) {
    const a = byPath.get(c.first) ?? '';
    const b = byPath.get(c.index) ?? '';
    const { what, where } = foldedWhat(a, b);
    problems.push(
      problem(
        `/sources/${c.index}`,
        'output-collision-elsewhere',
        `${src(c.index)} and ${src(c.first)} resolve to ${quote(a)} and ${quote(b)}, which differ only in ${what}: this volume keeps them apart, but ${where} would make them one file. Add {index} to naming_template to keep them apart everywhere.`,
        'warning',
      ),
    );
  }
  // A path string equal to a source's (or its real path) is caught without asking the file system.
  const sourceByString = new Map<string, number>();
  sources.forEach((s, i) => sourceByString.set(s, i));
  realSources.forEach((s, i) => sourceByString.set(s, i));
  const isSource = checkFs ? await outputsThatAreSources(planned, identified) : new Map<number, IdentifiedFile>();
  for (const p of planned) {
    const hit = isSource.get(p.index)?.index ?? sourceByString.get(p.path);
    if (hit === undefined) continue;
    const which = hit === p.index ? `that source itself (${quote(sources[hit])})` : `${src(hit)} (${quote(sources[hit])})`;
    problems.push(
      problem(
        `/sources/${p.index}`,
        'output-is-source',
        `The output for sources[${p.index}] would be ${quote(p.path)}, which is ${which} on its volume: a source is never written. Change naming_template or output_directory so that proxies land elsewhere.`,
      ),
    );
  }
  return problems;
}

function collisionsByString(planned: { index: number; path: string }[]): { index: number; first: number; folding: null }[] {
  const seen = new Map<string, number>();
  const out: { index: number; first: number; folding: null }[] = [];
  for (const p of planned) {
    const first = seen.get(p.path);
    if (first === undefined) seen.set(p.path, p.index);
    else out.push({ index: p.index, first, folding: null });
  }
  return out;
}

/** What separates two names that fold together: case, Unicode normalization, or both. */
function foldedWhat(a: string, b: string): { what: string; where: string } {
  // Equal once both are composed: they differ only in how their accents are encoded.
  if (a.normalize('NFC') === b.normalize('NFC'))
    return { what: 'Unicode normalization (composed and decomposed accents)', where: 'a Mac volume (APFS, HFS+)' };
  if (
    nameKey(a, { caseInsensitive: true, normalizationInsensitive: false }) ===
    nameKey(b, { caseInsensitive: true, normalizationInsensitive: false })
  )
    return { what: 'case', where: 'an exFAT or FAT card, a Mac or a Windows volume' };
  return { what: 'case and Unicode normalization', where: 'a Mac volume (APFS, HFS+)' };
}

async function notWritable(dir: string, probe: boolean): Promise<string | null> {
  try {
    await fs.access(dir, fsConstants.W_OK | fsConstants.X_OK);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EROFS' ? 'read-only file system' : 'permission denied';
  }
  if (!probe) return null;
  // access() says yes to root even on a read-only folder; only a real write tells.
  const probeFile = path.join(dir, `.jobspec-write-probe-${randomBytes(6).toString('hex')}`);
  try {
    await fs.writeFile(probeFile, '', { flag: 'wx' });
    await fs.rm(probeFile, { force: true });
    return null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'EROFS'
      ? 'read-only file system'
      : code === 'ENOSPC'
        ? 'no space left'
        : `cannot create a file: ${code ?? (err as Error).message}`;
  }
}
