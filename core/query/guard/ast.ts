/** The shapes of node-sql-parser's AST the guard reads, and the readers of its names. */

/** A node of the parser's AST. */
export type Node = { readonly [key: string]: unknown };

/** AST node types that are statements other than SELECT. */
export const STATEMENT_TYPES = new Set([
  'insert',
  'replace',
  'update',
  'delete',
  'merge',
  'create',
  'drop',
  'alter',
  'truncate',
  'rename',
  'grant',
  'revoke',
  'call',
  'set',
  'use',
  'show',
  'desc',
  'explain',
  'lock',
  'unlock',
  'transaction',
  'load_data',
  'exec',
  'declare',
  'deallocate',
  'prepare',
  'execute',
  'copy',
  'unload',
  'analyze',
  'vacuum',
  'attach',
  'detach',
]);

/** Whether `value` is an AST node (an object, not an array). */
export function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An identifier from the AST's various shapes: 'x', {value: 'x'}, {expr: {value: 'x'}}. */
export function identName(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (!isNode(value)) return undefined;
  if (typeof value.value === 'string') return value.value;
  if (value.expr !== undefined) return identName(value.expr);
  return undefined;
}

/** A function's name, lowercased, without schema. */
export function functionName(node: Node): string {
  const name = node.name;
  if (typeof name === 'string') return name.toLowerCase();
  if (isNode(name) && Array.isArray(name.name)) {
    const parts = name.name.map((part) => identName(part) ?? '');
    return (parts[parts.length - 1] ?? '').toLowerCase();
  }
  if (isNode(name) && isNode(name.name)) return (identName(name.name) ?? '').toLowerCase();
  return (identName(name) ?? '').toLowerCase();
}

/** The schema (and catalog) a function call names, `a.b` for `a.b.f()`, if any. */
export function functionQualifier(node: Node): string | undefined {
  const name = node.name;
  if (!isNode(name)) return undefined;
  if (Array.isArray(name.name) && name.name.length > 1) {
    return name.name
      .slice(0, -1)
      .map((part) => identName(part) ?? '')
      .join('.');
  }
  return identName(name.schema);
}

/** The SELECT of a subquery wrapper ({ast: …}) or the node itself. */
export function selectOf(value: unknown): Node | undefined {
  if (!isNode(value)) return undefined;
  if (value.type === 'select') return value;
  if (isNode(value.ast)) return selectOf(value.ast);
  return undefined;
}

/** An alias as the parser gives it (`x`, `x(a, b)` for column aliases), lowercased. */
export function aliasName(value: unknown): string | undefined {
  const name = identName(value);
  if (name === undefined) return undefined;
  return (name.split('(')[0] ?? name).trim().toLowerCase();
}
