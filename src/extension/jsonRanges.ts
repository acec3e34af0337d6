// Where things are in a JobSpec's text. Pure (jsonc-parser only, no `vscode`), so the editor
// adapters stay small and the mapping can be reasoned about on plain strings.
import * as jsonc from 'jsonc-parser';
import type { Problem } from '../core';

export interface TextSpan {
  offset: number;
  length: number;
}

/** RFC 6901 pointer to the path segments jsonc-parser takes. */
export function pointerToPath(pointer: string): jsonc.JSONPath {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/**
 * The span of text a problem is about. The core usually locates problems itself; when it did
 * not, the pointer is looked up here. A pointer to something absent (a missing field) falls back
 * to the nearest ancestor that exists; the document root is marked by its first character only,
 * so a whole-file squiggle never hides the rest of the diagnostics.
 */
export function problemSpan(text: string, problem: Problem, tree?: jsonc.Node): TextSpan {
  if (problem.offset !== undefined && problem.offset >= 0 && !(problem.pointer === '' && problem.code !== 'json-syntax')) {
    return { offset: problem.offset, length: Math.max(problem.length ?? 0, 0) };
  }
  const root = tree ?? jsonc.parseTree(text);
  if (!root) return { offset: 0, length: 0 };
  let path = pointerToPath(problem.pointer);
  let node: jsonc.Node | undefined;
  for (;;) {
    node = jsonc.findNodeAtLocation(root, path);
    if (node || path.length === 0) break;
    path = path.slice(0, -1);
  }
  if (!node || node === root) return { offset: root.offset, length: 1 };
  return { offset: node.offset, length: node.length };
}

/** The paths a JobSpec names, as written, for watching them on disk; tolerant of broken files. */
export function referencedPaths(text: string): { sources: string[]; outputDirectory?: string } {
  const value: unknown = jsonc.parse(text, [], { allowTrailingComma: true, disallowComments: false });
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { sources: [] };
  const obj = value as Record<string, unknown>;
  const sources = Array.isArray(obj.sources) ? obj.sources.filter((s): s is string => typeof s === 'string' && s !== '') : [];
  const out = typeof obj.output_directory === 'string' && obj.output_directory !== '' ? obj.output_directory : undefined;
  return out === undefined ? { sources } : { sources, outputDirectory: out };
}
