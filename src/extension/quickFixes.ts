// Quick fixes for every JobSpec problem that has an obvious fix: rename a misspelt field, pick a
// container the codec fits, bring a number into range, remove a missing or repeated source, put a
// folder's clips in place of the folder, create the output folder, make names unique, add a
// required field with the usual value, and what to do with outputs that are already there.
import * as path from 'node:path';
import * as vscode from 'vscode';
import * as jsonc from 'jsonc-parser';
import { nearest, resolveAgainst } from '../core';
import { TOKENS } from '../core/naming';
import { clipsIn } from './clips';
import { OUTPUTS_EXIST } from './diagnostics';
import { codecFor, containersFor, enumOf, KNOWN_FIELDS, limitsOf, REQUIRED_FIELDS, typeOf } from './schemaFacts';
import { pathForJobSpec } from './template';

export const CREATE_FOLDER_COMMAND = 'jobspec.createOutputFolder';
export const FOLDER_TO_CLIPS_COMMAND = 'jobspec.folderToClips';

/**
 * The edit that puts the clips of the folder at sources[index] in its place, in card order; undefined
 * when the entry is no longer a folder with clips.
 */
export async function folderToClipsEdit(doc: vscode.TextDocument, index: number): Promise<vscode.WorkspaceEdit | undefined> {
  const text = doc.getText();
  const tree = jsonc.parseTree(text);
  const node = tree && jsonc.findNodeAtLocation(tree, ['sources']);
  const value: unknown = node ? jsonc.getNodeValue(node) : undefined;
  const sources: unknown[] = Array.isArray(value) ? (value as unknown[]) : [];
  const entry = sources[index];
  if (typeof entry !== 'string') return undefined;
  const file = doc.uri.fsPath;
  const clips = await clipsIn([resolveAgainst(path.dirname(file), entry)]);
  if (clips.length === 0) return undefined;
  const next = [...sources.slice(0, index), ...clips.map((c) => pathForJobSpec(file, c)), ...sources.slice(index + 1)];
  const we = new vscode.WorkspaceEdit();
  for (const e of jsonc.modify(text, ['sources'], next, { formattingOptions: formatting(text, doc.eol) }))
    we.replace(doc.uri, new vscode.Range(doc.positionAt(e.offset), doc.positionAt(e.offset + e.length)), e.content);
  return we;
}

/** The usual value of a required field that a JobSpec left out, when there is one. */
const USUAL: Record<string, string> = { resolution: 'half', naming_template: '{source_name}_proxy' };

interface Context {
  doc: vscode.TextDocument;
  text: string;
  tree: jsonc.Node;
  diagnostic: vscode.Diagnostic;
  /** The node the problem is on, and its path. */
  node: jsonc.Node;
  path: jsonc.JSONPath;
  /** The problem is on the property's key, not its value. */
  onKey: boolean;
}

function formatting(text: string, eol: vscode.EndOfLine): jsonc.FormattingOptions {
  const indent = /^([ \t]+)\S/m.exec(text)?.[1] ?? '  ';
  return {
    insertSpaces: !indent.startsWith('\t'),
    tabSize: indent.startsWith('\t') ? 1 : indent.length,
    eol: eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n',
  };
}

export class JobSpecQuickFixes implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] };

  // Synchronous on purpose: the editor asks on every cursor move; a folder's clips are read only when that fix is applied.
  provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const text = doc.getText();
    const tree = jsonc.parseTree(text);
    if (!tree) return [];
    const actions: vscode.CodeAction[] = [];
    for (const diagnostic of context.diagnostics) {
      if (diagnostic.source !== 'JobSpec') continue;
      const node = jsonc.findNodeAtOffset(tree, doc.offsetAt(diagnostic.range.start), true) ?? tree;
      const onKey = node.parent?.type === 'property' && node.parent.children?.[0] === node;
      const ctx: Context = { doc, text, tree, diagnostic, node, path: node === tree ? [] : jsonc.getNodePath(node), onKey };
      actions.push(...this.fixes(ctx));
    }
    return actions;
  }

  private action(ctx: Context, title: string, edits: jsonc.Edit[], preferred = false): vscode.CodeAction {
    const a = new vscode.CodeAction(title, vscode.CodeActionKind.QuickFix);
    a.diagnostics = [ctx.diagnostic];
    a.isPreferred = preferred;
    const we = new vscode.WorkspaceEdit();
    for (const e of edits)
      we.replace(ctx.doc.uri, new vscode.Range(ctx.doc.positionAt(e.offset), ctx.doc.positionAt(e.offset + e.length)), e.content);
    a.edit = we;
    return a;
  }

  private set(ctx: Context, at: jsonc.JSONPath, value: unknown, title: string, preferred = false): vscode.CodeAction {
    return this.action(ctx, title, jsonc.modify(ctx.text, at, value, { formattingOptions: formatting(ctx.text, ctx.doc.eol) }), preferred);
  }

  private value(ctx: Context, field: string): unknown {
    const n = jsonc.findNodeAtLocation(ctx.tree, [field]);
    return n ? jsonc.getNodeValue(n) : undefined;
  }

  private fixes(ctx: Context): vscode.CodeAction[] {
    const code = typeof ctx.diagnostic.code === 'object' ? String(ctx.diagnostic.code.value) : String(ctx.diagnostic.code);
    const field = typeof ctx.path[0] === 'string' ? ctx.path[0] : '';
    const current = ctx.path.length > 0 ? this.value(ctx, field) : undefined;
    const shown = (v: unknown): string => JSON.stringify(v);
    switch (code) {
      case 'unknown-field': {
        if (ctx.path.length !== 1) return [];
        const present = new Set((ctx.tree.children ?? []).map((p) => String(p.children?.[0]?.value)));
        const near = nearest(
          field,
          KNOWN_FIELDS.filter((k) => !present.has(k)),
        );
        const key = ctx.node.parent?.children?.[0];
        const renames = key
          ? near.map((name, i) =>
              this.action(
                ctx,
                `Rename "${field}" to "${name}"`,
                [{ offset: key.offset, length: key.length, content: JSON.stringify(name) }],
                i === 0,
              ),
            )
          : [];
        return [...renames, this.set(ctx, [field], undefined, `Remove "${field}"`)];
      }
      case 'codec-container':
      case 'enum':
      case 'audio-container':
      case 'unknown-version':
        return this.valueFixes(ctx, field, current);
      case 'range': {
        const { min, max } = limitsOf(field);
        if (typeof current !== 'number') return [];
        if (min !== undefined && current < min) return [this.set(ctx, [field], min, `Set ${field} to ${min}`, true)];
        if (max !== undefined && current > max) return [this.set(ctx, [field], max, `Set ${field} to ${max}`, true)];
        return [];
      }
      case 'type': {
        if (ctx.path.length !== 1) return [];
        const want = typeOf(field);
        if ((want === 'integer' || want === 'number') && typeof current === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(current)) {
          const n = Number(current);
          return [this.set(ctx, [field], n, `Make ${field} the number ${n}`, true)];
        }
        if (want === 'array' && typeof current === 'string')
          return [this.set(ctx, [field], [current], `Make ${field} a list: [${shown(current)}]`, true)];
        if (want === 'string' && (typeof current === 'number' || typeof current === 'boolean'))
          return [this.set(ctx, [field], String(current), `Make ${field} the string ${shown(String(current))}`, true)];
        return [];
      }
      case 'pattern':
        if (field === 'job_id' && typeof current === 'string') {
          const id = current.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 64) || 'proxies';
          return [this.set(ctx, [field], id, `Change job_id to ${shown(id)}`, true)];
        }
        if (field === 'naming_template' && typeof current === 'string') {
          const name = current.replace(/[/\\]+/g, '_');
          return [this.set(ctx, [field], name, `Change naming_template to ${shown(name)}`, true)];
        }
        return [];
      case 'empty-string':
        return field === 'naming_template'
          ? [this.set(ctx, [field], USUAL.naming_template, `Set naming_template to "${USUAL.naming_template}"`, true)]
          : [];
      case 'required':
        return this.requiredFixes(ctx);
      case 'source-missing':
      case 'source-empty':
        return typeof ctx.path[1] === 'number'
          ? [this.set(ctx, ctx.path, undefined, `Remove ${shown(this.at(ctx))} from sources`, true)]
          : [];
      case 'source-duplicate':
        return typeof ctx.path[1] === 'number'
          ? [this.set(ctx, ctx.path, undefined, `Remove the repeated source ${shown(this.at(ctx))}`, true)]
          : [];
      case 'source-not-file':
        return this.folderFixes(ctx);
      case 'output-dir-missing': {
        const written = this.value(ctx, 'output_directory');
        if (typeof written !== 'string') return [];
        const abs = resolveAgainst(path.dirname(ctx.doc.uri.fsPath), written);
        const a = new vscode.CodeAction(`Create the folder ${written}`, vscode.CodeActionKind.QuickFix);
        a.diagnostics = [ctx.diagnostic];
        a.isPreferred = true;
        a.command = { command: CREATE_FOLDER_COMMAND, title: a.title, arguments: [abs, ctx.doc.uri] };
        return [a];
      }
      case 'naming-not-unique':
      case 'output-collision': {
        const template = this.value(ctx, 'naming_template');
        return typeof template === 'string'
          ? [this.set(ctx, ['naming_template'], `${template}_{index}`, `Add _{index} to naming_template: "${template}_{index}"`, true)]
          : [];
      }
      case 'naming-unknown-token':
        return this.tokenFixes(ctx);
      case 'fps-explicit-missing':
        return [this.set(ctx, ['fps_mode'], 'same-as-source', 'Keep each source\'s frame rate: set fps_mode to "same-as-source"', true)];
      case 'fps-explicit-unused':
        return [
          this.set(ctx, ['fps_mode'], 'explicit', `Apply fps_explicit: set fps_mode to "explicit"`, true),
          this.set(ctx, ['fps_explicit'], undefined, 'Remove fps_explicit'),
        ];
      case 'duplicate-key':
        return this.duplicateFixes(ctx);
      case OUTPUTS_EXIST:
        return [
          this.set(ctx, ['overwrite'], 'skip', 'Set overwrite to "skip": leave existing proxies, make the missing ones', true),
          this.set(ctx, ['overwrite'], 'replace', 'Set overwrite to "replace": make every proxy again'),
        ];
      default:
        return [];
    }
  }

  private at(ctx: Context): unknown {
    return jsonc.getNodeValue(ctx.node);
  }

  /** A value the schema does not allow here: the allowed values nearest to it (all, when there are few). */
  private valueFixes(ctx: Context, field: string, current: unknown): vscode.CodeAction[] {
    if (ctx.path.length !== 1) return [];
    let allowed: string[];
    if (field === 'container') {
      const codec = this.value(ctx, 'codec');
      allowed = typeof codec === 'string' ? containersFor(codec === 'hevc' ? 'h265' : codec) : enumOf(field);
    } else if (field === 'audio' && ctx.diagnostic.code === 'audio-container') allowed = ['auto'];
    else if (field === 'resolution' && typeof current === 'string') {
      const m = /^\s*(\d+)\s*[xX×*:,]\s*(\d+)\s*$/.exec(current);
      if (m)
        return [this.set(ctx, [field], `${Number(m[1])}x${Number(m[2])}`, `Change resolution to "${Number(m[1])}x${Number(m[2])}"`, true)];
      allowed = enumOf(field);
    } else allowed = enumOf(field).filter((v) => v !== 'hevc');
    if (allowed.length === 0) return [];
    const text = typeof current === 'string' ? current : '';
    const candidates = allowed.length <= 3 ? allowed : nearest(text, allowed, 3, 6);
    return candidates.map((v, i) => this.set(ctx, [field], v, `Change ${field} to "${v}"`, i === 0));
  }

  private requiredFixes(ctx: Context): vscode.CodeAction[] {
    const present = new Set((ctx.tree.children ?? []).map((p) => String(p.children?.[0]?.value)));
    const out: vscode.CodeAction[] = [];
    for (const field of REQUIRED_FIELDS) {
      if (present.has(field)) continue;
      let value: string | undefined = USUAL[field];
      if (field === 'container') {
        const codec = this.value(ctx, 'codec');
        value = typeof codec === 'string' ? containersFor(codec === 'hevc' ? 'h265' : codec)[0] : undefined;
      } else if (field === 'codec') {
        const container = this.value(ctx, 'container');
        value = typeof container === 'string' ? codecFor(container.replace(/^\./, '').toLowerCase()) : undefined;
      }
      if (value !== undefined) out.push(this.set(ctx, [field], value, `Add "${field}": "${value}"`, out.length === 0));
    }
    return out;
  }

  /** A folder in sources: its clips, in card order, in its place (found when the fix is applied). */
  private folderFixes(ctx: Context): vscode.CodeAction[] {
    const written = this.at(ctx);
    if (typeof written !== 'string' || typeof ctx.path[1] !== 'number') return [];
    const a = new vscode.CodeAction(`Replace the folder ${written} with the clips in it`, vscode.CodeActionKind.QuickFix);
    a.diagnostics = [ctx.diagnostic];
    a.isPreferred = true;
    a.command = { command: FOLDER_TO_CLIPS_COMMAND, title: a.title, arguments: [ctx.doc.uri, ctx.path[1]] };
    return [a];
  }

  private tokenFixes(ctx: Context): vscode.CodeAction[] {
    const template = this.value(ctx, 'naming_template');
    if (typeof template !== 'string') return [];
    const out: vscode.CodeAction[] = [];
    for (const m of template.matchAll(/\{([^{}]*)\}/g)) {
      const name = m[1];
      if ((TOKENS as readonly string[]).includes(name)) continue;
      for (const t of nearest(name, TOKENS, 2))
        out.push(this.set(ctx, ['naming_template'], template.replace(m[0], `{${t}}`), `Replace {${name}} with {${t}}`, out.length === 0));
      const without = template.replace(m[0], '').replace(/__+/g, '_').replace(/^_|_$/g, '');
      if (without) out.push(this.set(ctx, ['naming_template'], without, `Remove {${name}}: "${without}"`, out.length === 0));
    }
    return out;
  }

  /** A key given twice: remove this one (the later), or the other. */
  private duplicateFixes(ctx: Context): vscode.CodeAction[] {
    const prop = ctx.node.parent;
    const obj = prop?.parent;
    if (!prop || prop.type !== 'property' || !obj?.children) return [];
    const name = String(ctx.node.value);
    const same = obj.children.filter((p) => p.children?.[0]?.value === name);
    return same.map((p, i) => {
      const line = ctx.doc.positionAt(p.offset).line + 1;
      return this.action(
        ctx,
        `Keep the "${name}" of line ${line}, remove the other${same.length > 2 ? 's' : ''}`,
        this.removals(
          obj,
          same.filter((q) => q !== p),
        ),
        i === 0,
      );
    });
  }

  /** Edits removing these properties of one object, each with its comma. */
  private removals(obj: jsonc.Node, props: jsonc.Node[]): jsonc.Edit[] {
    const kids = obj.children ?? [];
    const edits: jsonc.Edit[] = [];
    for (const p of props) {
      const i = kids.indexOf(p);
      const prev = kids[i - 1];
      const next = kids[i + 1];
      if (prev) edits.push({ offset: prev.offset + prev.length, length: p.offset + p.length - (prev.offset + prev.length), content: '' });
      else if (next) edits.push({ offset: p.offset, length: next.offset - p.offset, content: '' });
      else edits.push({ offset: p.offset, length: p.length, content: '' });
    }
    return edits;
  }
}
