/**
 * A small reading layer over tree-sitter-bicep for the infra checks. No Bicep
 * compiler is available offline (docs/deploy.md), so the tests parse the files
 * with tree-sitter and walk the syntax tree: declarations, literal values that can
 * be worked out without deploying, and references between files. It evaluates
 * only what is knowable before deployment (literals, variables, parameter
 * defaults, loadJsonContent, a few pure functions) and answers `undefined` for
 * everything else.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import Parser from 'tree-sitter';
import Bicep from 'tree-sitter-bicep';

type SyntaxNode = Parser.SyntaxNode;
export type { SyntaxNode };

export const repoRoot = resolve(__dirname, '..', '..');
export const infraDir = join(repoRoot, 'infra');

export interface BicepFile {
  readonly path: string;
  /** Path relative to the repository root, for messages. */
  readonly relPath: string;
  readonly source: string;
  readonly root: SyntaxNode;
}

export interface SyntaxProblem {
  readonly line: number;
  readonly column: number;
  readonly kind: 'ERROR' | 'MISSING';
  readonly text: string;
}

export interface ParamDecl {
  readonly name: string;
  readonly node: SyntaxNode;
  readonly defaultValue: SyntaxNode | undefined;
  /** Decorator names, e.g. `secure`, `description`, `allowed`. */
  readonly decorators: readonly string[];
  /** Decorator arguments by decorator name, e.g. the array of `@allowed([...])`. */
  readonly decoratorArgs: ReadonlyMap<string, readonly SyntaxNode[]>;
}

export interface OutputDecl {
  readonly name: string;
  readonly node: SyntaxNode;
  readonly value: SyntaxNode;
}

export interface ResourceDecl {
  readonly symbol: string;
  /** Resource type without the API version, e.g. `Microsoft.Web/sites`. */
  readonly type: string;
  readonly apiVersion: string;
  readonly existing: boolean;
  readonly node: SyntaxNode;
  /** The resource body (what `properties`, `name`, … live in). */
  readonly body: SyntaxNode;
  /** Set for `[for x in items: …]` resources. */
  readonly loop: { readonly variable: string; readonly items: SyntaxNode } | undefined;
  /** Set for `if (…)` resources. */
  readonly condition: SyntaxNode | undefined;
}

export interface ModuleDecl {
  readonly symbol: string;
  /** The module path exactly as written. */
  readonly path: string;
  readonly node: SyntaxNode;
  readonly body: SyntaxNode;
}

const parser = new Parser();
parser.setLanguage(Bicep as unknown as Parser.Language);

const cache = new Map<string, BicepFile>();

/** Parses a Bicep file once per test process. */
export function parseBicep(path: string): BicepFile {
  const absolute = resolve(path);
  const cached = cache.get(absolute);
  if (cached) return cached;
  const source = readFileSync(absolute, 'utf8');
  const file: BicepFile = {
    path: absolute,
    relPath: relative(repoRoot, absolute).split('\\').join('/'),
    source,
    root: parser.parse(source).rootNode,
  };
  cache.set(absolute, file);
  return file;
}

/** Parses Bicep held in memory (used to prove the checks can fail). */
export function parseBicepSource(source: string, relPath = 'inline.bicep'): BicepFile {
  return { path: join(repoRoot, relPath), relPath, source, root: parser.parse(source).rootNode };
}

/** Every `.bicep` file under a directory, sorted. */
export function bicepFilesUnder(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...bicepFilesUnder(full));
    else if (entry.name.endsWith('.bicep')) found.push(full);
  }
  return found.sort();
}

export function where(file: BicepFile, node: SyntaxNode): string {
  return `${file.relPath}:${node.startPosition.row + 1}:${node.startPosition.column + 1}`;
}

/** ERROR and MISSING nodes: what tree-sitter reports for text that is not Bicep. */
export function syntaxProblems(file: BicepFile): SyntaxProblem[] {
  const problems: SyntaxProblem[] = [];
  const visit = (node: SyntaxNode): void => {
    if (node.type === 'ERROR' || node.isMissing) {
      problems.push({
        line: node.startPosition.row + 1,
        column: node.startPosition.column + 1,
        kind: node.isMissing ? 'MISSING' : 'ERROR',
        text: node.isMissing ? node.type : node.text.slice(0, 80),
      });
    }
    for (const child of node.children) visit(child);
  };
  visit(file.root);
  return problems;
}

const trivia = new Set(['comment', 'diagnostic_comment']);

/** Named children without comments. */
export function kids(node: SyntaxNode): SyntaxNode[] {
  return node.namedChildren.filter((child) => !trivia.has(child.type));
}

function topLevel(file: BicepFile, type: string): SyntaxNode[] {
  return kids(file.root).filter((node) => node.type === type);
}

function declaredName(node: SyntaxNode): string {
  const name = kids(node)[0];
  if (!name) throw new Error(`declaration without a name at ${node.startPosition.row + 1}`);
  return name.text;
}

function decoratorsOf(declaration: SyntaxNode): Map<string, SyntaxNode[]> {
  const result = new Map<string, SyntaxNode[]>();
  let previous = declaration.previousNamedSibling;
  while (previous && trivia.has(previous.type)) previous = previous.previousNamedSibling;
  if (!previous || previous.type !== 'decorators') return result;
  for (const decorator of kids(previous)) {
    const call = kids(decorator)[0];
    const fn = call?.childForFieldName('function');
    const args = call?.childForFieldName('arguments');
    result.set((fn ?? call)?.text ?? '', args ? kids(args) : []);
  }
  return result;
}

export function params(file: BicepFile): Map<string, ParamDecl> {
  const result = new Map<string, ParamDecl>();
  for (const node of topLevel(file, 'parameter_declaration')) {
    const parts = kids(node);
    const name = declaredName(node);
    // parameter_declaration: name, type, [default expression]
    const defaultValue = parts.length > 2 ? parts[parts.length - 1] : undefined;
    const decorators = decoratorsOf(node);
    result.set(name, {
      name,
      node,
      defaultValue,
      decorators: [...decorators.keys()],
      decoratorArgs: decorators,
    });
  }
  return result;
}

export function variables(file: BicepFile): Map<string, SyntaxNode> {
  const result = new Map<string, SyntaxNode>();
  for (const node of topLevel(file, 'variable_declaration')) {
    const value = kids(node).at(-1);
    if (value) result.set(declaredName(node), value);
  }
  return result;
}

export function outputs(file: BicepFile): OutputDecl[] {
  return topLevel(file, 'output_declaration').map((node) => {
    const value = kids(node).at(-1);
    if (!value) throw new Error(`output without a value at ${where(file, node)}`);
    return { name: declaredName(node), node, value };
  });
}

/** Declared symbol names of every kind (params, vars, resources, modules, functions, imports). */
export function declaredSymbols(file: BicepFile): Set<string> {
  const symbols = new Set<string>();
  for (const node of kids(file.root)) {
    if (
      [
        'parameter_declaration',
        'variable_declaration',
        'resource_declaration',
        'module_declaration',
        'user_defined_function',
        'type_declaration',
      ].includes(node.type)
    ) {
      symbols.add(declaredName(node));
    }
  }
  for (const node of file.root.descendantsOfType('resource_declaration')) symbols.add(declaredName(node));
  for (const node of file.root.descendantsOfType(['import_functionality', 'import_statement'])) {
    for (const id of kids(node).filter((child) => child.type === 'identifier')) symbols.add(id.text);
  }
  return symbols;
}

function splitForAndIf(value: SyntaxNode): {
  body: SyntaxNode;
  loop: ResourceDecl['loop'];
  condition: SyntaxNode | undefined;
} {
  let node = value;
  let loop: ResourceDecl['loop'];
  if (node.type === 'for_statement') {
    const parts = kids(node);
    const head = parts[0];
    const items = parts[1];
    const rest = parts[2];
    if (!head || !items || !rest)
      throw new Error(`unexpected for statement at ${node.startPosition.row + 1}`);
    const variable =
      head.type === 'for_loop_parameters'
        ? (kids(head).find((p) => p.type === 'loop_variable')?.text ?? '')
        : head.text;
    loop = { variable, items };
    node = rest;
  }
  let condition: SyntaxNode | undefined;
  if (node.type === 'if_statement') {
    const parts = kids(node);
    condition = parts[0];
    const body = parts[1];
    if (!body) throw new Error(`unexpected if statement at ${node.startPosition.row + 1}`);
    node = body;
  }
  return { body: node, loop, condition };
}

/** Resource declarations, top level and nested. */
export function resources(file: BicepFile): ResourceDecl[] {
  return file.root.descendantsOfType('resource_declaration').map((node) => {
    const parts = kids(node);
    const typeString = parts[1];
    const value = parts.at(-1);
    if (!typeString || !value) throw new Error(`unexpected resource at ${where(file, node)}`);
    const [type = '', apiVersion = ''] = (stringLiteral(typeString) ?? '').split('@');
    const existing = node.children.some((child) => !child.isNamed && child.type === 'existing');
    return { symbol: parts[0]?.text ?? '', type, apiVersion, existing, node, ...splitForAndIf(value) };
  });
}

export function modules(file: BicepFile): ModuleDecl[] {
  return topLevel(file, 'module_declaration').map((node) => {
    const parts = kids(node);
    const pathNode = parts[1];
    const value = parts.at(-1);
    const path = pathNode ? stringLiteral(pathNode) : undefined;
    if (path === undefined || !value) throw new Error(`unexpected module at ${where(file, node)}`);
    return { symbol: parts[0]?.text ?? '', path, node, body: splitForAndIf(value).body };
  });
}

/** The properties of an object literal, keyed by name. */
export function objectProperties(object: SyntaxNode): Map<string, SyntaxNode> {
  const result = new Map<string, SyntaxNode>();
  if (object.type !== 'object') return result;
  for (const property of kids(object)) {
    if (property.type !== 'object_property') continue;
    const [key, value] = kids(property);
    if (!key || !value) continue;
    const name = key.type === 'string' ? stringLiteral(key) : key.text;
    if (name !== undefined) result.set(name, value);
  }
  return result;
}

/** Follows a dotted path of object properties: `prop(body, 'properties', 'siteConfig')`. */
export function prop(object: SyntaxNode | undefined, ...path: string[]): SyntaxNode | undefined {
  let node = object;
  for (const key of path) {
    if (!node) return undefined;
    node = objectProperties(node).get(key);
  }
  return node;
}

function unescape(sequence: string): string {
  const map: Record<string, string> = {
    "\\'": "'",
    '\\\\': '\\',
    '\\n': '\n',
    '\\r': '\r',
    '\\t': '\t',
    '\\$': '$',
  };
  return map[sequence] ?? sequence;
}

/** The value of a string without interpolation; `undefined` otherwise. */
export function stringLiteral(node: SyntaxNode): string | undefined {
  if (node.type !== 'string') return undefined;
  let text = '';
  for (const part of kids(node)) {
    if (part.type === 'string_content') text += part.text;
    else if (part.type === 'escape_sequence') text += unescape(part.text);
    else return undefined;
  }
  if (kids(node).length === 0 && node.text.startsWith("'''")) return node.text.slice(3, -3);
  return text;
}

export type Value = string | number | boolean | null | readonly Value[] | { readonly [key: string]: Value };

function isRecord(value: Value | undefined): value is { readonly [key: string]: Value } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The value of an expression when it is knowable before deployment, else
 * `undefined`. Parameters take their value from `inputs`, else their default.
 */
export function evaluate(
  file: BicepFile,
  node: SyntaxNode,
  inputs: Readonly<Record<string, Value>> = {},
  seen: ReadonlySet<string> = new Set(),
): Value | undefined {
  switch (node.type) {
    case 'string': {
      let text = '';
      for (const part of kids(node)) {
        if (part.type === 'string_content') text += part.text;
        else if (part.type === 'escape_sequence') text += unescape(part.text);
        else if (part.type === 'interpolation') {
          const inner = kids(part)[0];
          const value = inner ? evaluate(file, inner, inputs, seen) : undefined;
          if (value === undefined || typeof value === 'object') return undefined;
          text += String(value);
        }
      }
      return text;
    }
    case 'number':
      return Number(node.text);
    case 'boolean':
      return node.text === 'true';
    case 'null':
      return null;
    case 'parenthesized_expression': {
      const inner = kids(node)[0];
      return inner ? evaluate(file, inner, inputs, seen) : undefined;
    }
    case 'array': {
      const items: Value[] = [];
      for (const item of kids(node)) {
        const value = evaluate(file, item, inputs, seen);
        if (value === undefined) return undefined;
        items.push(value);
      }
      return items;
    }
    case 'object': {
      const result: Record<string, Value> = {};
      for (const [key, valueNode] of objectProperties(node)) {
        const value = evaluate(file, valueNode, inputs, seen);
        if (value === undefined) return undefined;
        result[key] = value;
      }
      return result;
    }
    case 'identifier': {
      const name = node.text;
      if (seen.has(name)) return undefined;
      const next = new Set(seen).add(name);
      const variable = variables(file).get(name);
      if (variable) return evaluate(file, variable, inputs, next);
      if (Object.hasOwn(inputs, name)) return inputs[name];
      const param = params(file).get(name);
      if (param?.defaultValue) return evaluate(file, param.defaultValue, inputs, next);
      return undefined;
    }
    case 'member_expression': {
      const object = node.childForFieldName('object');
      const property = node.childForFieldName('property');
      if (!object || !property) return undefined;
      const value = evaluate(file, object, inputs, seen);
      return isRecord(value) ? value[property.text] : undefined;
    }
    case 'ternary_expression': {
      const [condition, consequence, alternative] = kids(node);
      if (!condition || !consequence || !alternative) return undefined;
      const test = evaluate(file, condition, inputs, seen);
      if (typeof test !== 'boolean') return undefined;
      return evaluate(file, test ? consequence : alternative, inputs, seen);
    }
    case 'call_expression':
      return evaluateCall(file, node, inputs, seen);
    default:
      return undefined;
  }
}

function evaluateCall(
  file: BicepFile,
  node: SyntaxNode,
  inputs: Readonly<Record<string, Value>>,
  seen: ReadonlySet<string>,
): Value | undefined {
  const fn = node.childForFieldName('function')?.text;
  const argsNode = node.childForFieldName('arguments');
  const args = argsNode ? kids(argsNode) : [];
  const values = args.map((arg) => evaluate(file, arg, inputs, seen));
  switch (fn) {
    case 'string': {
      const [value] = values;
      return value === undefined || typeof value === 'object' ? undefined : String(value);
    }
    case 'concat': {
      if (values.some((value) => value === undefined)) return undefined;
      if (values.every(Array.isArray)) return values.flat() as Value[];
      if (values.every((value) => typeof value === 'string')) return values.join('');
      return undefined;
    }
    case 'union': {
      if (!values.every(isRecord)) return undefined;
      return Object.assign({}, ...values) as Value;
    }
    case 'loadJsonContent': {
      const [path, jsonPath] = values;
      if (typeof path !== 'string') return undefined;
      let loaded = JSON.parse(readFileSync(resolve(dirname(file.path), path), 'utf8')) as Value;
      if (typeof jsonPath === 'string') {
        for (const key of jsonPath
          .replace(/^\$\.?/, '')
          .split('.')
          .filter(Boolean)) {
          loaded = isRecord(loaded) ? (loaded[key] as Value) : (undefined as unknown as Value);
        }
      }
      return loaded;
    }
    default:
      return undefined;
  }
}

/**
 * Object literals an expression can produce, across variables, ternary branches
 * and concat/union arguments: how app-setting arrays are assembled.
 */
export function objectsIn(
  file: BicepFile,
  node: SyntaxNode,
  seen: ReadonlySet<string> = new Set(),
): SyntaxNode[] {
  switch (node.type) {
    case 'object':
      return [node];
    case 'array':
    case 'parenthesized_expression':
      return kids(node).flatMap((child) => objectsIn(file, child, seen));
    case 'ternary_expression': {
      const [, consequence, alternative] = kids(node);
      return [consequence, alternative].flatMap((branch) => (branch ? objectsIn(file, branch, seen) : []));
    }
    case 'call_expression': {
      const fn = node.childForFieldName('function')?.text;
      const argsNode = node.childForFieldName('arguments');
      if (!argsNode || (fn !== 'concat' && fn !== 'union' && fn !== 'flatten')) return [];
      return kids(argsNode).flatMap((arg) => objectsIn(file, arg, seen));
    }
    case 'identifier': {
      if (seen.has(node.text)) return [];
      const variable = variables(file).get(node.text);
      return variable ? objectsIn(file, variable, new Set(seen).add(node.text)) : [];
    }
    default:
      return [];
  }
}

/** Resolves a local module path against the file that declares it. */
export function modulePath(file: BicepFile, module: ModuleDecl): string | undefined {
  if (/^(br|ts)[:/]/.test(module.path)) return undefined;
  return resolve(dirname(file.path), module.path);
}

export function moduleFile(file: BicepFile, module: ModuleDecl): BicepFile | undefined {
  const path = modulePath(file, module);
  return path && existsSync(path) ? parseBicep(path) : undefined;
}

/**
 * The text an expression stands for, with variables it names and module outputs it
 * reads spliced in, so a secret cannot hide behind an innocent variable or output
 * name. `secureParams` lists any @secure() parameters it reaches.
 */
export function expandedText(
  file: BicepFile,
  node: SyntaxNode,
  seen: Set<string> = new Set(),
): { text: string; secureParams: string[] } {
  let text = node.text;
  const secureParams: string[] = [];
  const vars = variables(file);
  const ps = params(file);
  const mods = new Map(modules(file).map((module) => [module.symbol, module]));
  const visit = (current: SyntaxNode): void => {
    if (current.type === 'identifier') {
      const key = `${file.path}#${current.text}`;
      const variable = vars.get(current.text);
      if (variable && !seen.has(key)) {
        seen.add(key);
        const inner = expandedText(file, variable, seen);
        text += `\n${inner.text}`;
        secureParams.push(...inner.secureParams);
      }
      if (ps.get(current.text)?.decorators.includes('secure')) secureParams.push(current.text);
    }
    if (current.type === 'member_expression') {
      // <module>.outputs.<name>
      const outer = current.childForFieldName('object');
      const mod = outer?.type === 'member_expression' ? outer.childForFieldName('object') : undefined;
      const middle = outer?.childForFieldName('property')?.text;
      const name = current.childForFieldName('property')?.text;
      const module = mod ? mods.get(mod.text) : undefined;
      if (module && middle === 'outputs' && name) {
        const target = moduleFile(file, module);
        const output = target ? outputs(target).find((o) => o.name === name) : undefined;
        const key = `${target?.path ?? ''}#output:${name}`;
        if (target && output && !seen.has(key)) {
          seen.add(key);
          const inner = expandedText(target, output.value, seen);
          text += `\n${inner.text}`;
          secureParams.push(...inner.secureParams);
        }
      }
    }
    for (const child of kids(current)) visit(child);
  };
  visit(node);
  return { text, secureParams };
}

/** `true` when `node` sits inside a node of one of `types`. */
function insideAny(node: SyntaxNode, types: ReadonlySet<string>): boolean {
  for (let parent = node.parent; parent; parent = parent.parent) if (types.has(parent.type)) return true;
  return false;
}

const declarationTypes = new Set([
  'parameter_declaration',
  'variable_declaration',
  'output_declaration',
  'resource_declaration',
  'module_declaration',
  'type_declaration',
  'user_defined_function',
  'metadata_declaration',
]);
const notReferences = new Set([
  'decorators',
  'type',
  'import_functionality',
  'import_statement',
  'import_with_statement',
  'using_statement',
  'parameters',
]);

/**
 * Identifiers used as values that name nothing declared in the file: the typo a
 * Bicep compiler would reject with BCP057.
 */
export function undeclaredReferences(file: BicepFile): { name: string; at: string }[] {
  const known = declaredSymbols(file);
  for (const loop of file.root.descendantsOfType('for_statement')) {
    const head = kids(loop)[0];
    if (head?.type === 'identifier') known.add(head.text);
  }
  for (const id of file.root.descendantsOfType(['loop_variable', 'loop_enumerator'])) known.add(id.text);
  for (const lambda of file.root.descendantsOfType('lambda_expression')) {
    const parts = kids(lambda);
    for (const part of parts.slice(0, -1)) {
      if (part.type === 'identifier') known.add(part.text);
      for (const id of part.descendantsOfType('identifier')) known.add(id.text);
    }
  }
  const problems: { name: string; at: string }[] = [];
  for (const id of file.root.descendantsOfType('identifier')) {
    const parent = id.parent;
    if (!parent) continue;
    if (declarationTypes.has(parent.type) && kids(parent)[0]?.id === id.id) continue; // the declared name
    if (parent.type === 'object_property' && kids(parent)[0]?.id === id.id) continue; // a property key
    if (parent.type === 'call_expression' && parent.childForFieldName('function')?.id === id.id) continue; // a function
    if (parent.type === 'for_statement' && kids(parent)[0]?.id === id.id) continue; // the loop variable
    if (parent.type === 'lambda_expression' && kids(parent).at(-1)?.id !== id.id) continue; // a lambda parameter
    if (insideAny(id, notReferences)) continue;
    if (parent.type === 'member_expression' && parent.childForFieldName('object')?.id === id.id) {
      // Namespaced functions (`sys.concat`, `az.resourceGroup`) are calls, not references.
      if (
        parent.parent?.type === 'call_expression' &&
        parent.parent.childForFieldName('function')?.id === parent.id
      ) {
        continue;
      }
    }
    if (!known.has(id.text)) problems.push({ name: id.text, at: where(file, id) });
  }
  return problems;
}
