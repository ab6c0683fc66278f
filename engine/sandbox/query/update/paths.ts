// Paths inside an update: the dotted paths of the update document, and the runtime paths an update
// takes through a concrete document, where each component is a field name or an array index.
import { compareStrings } from '../../bson/compare.js';

export interface PathComponent {
  readonly name: string;
  readonly isIndex: boolean;
}

export type RuntimePath = readonly PathComponent[];

export function dotted(path: RuntimePath | readonly string[]): string {
  return path.map((part) => (typeof part === 'string' ? part : part.name)).join('.');
}

export function fieldComponent(name: string): PathComponent {
  return { name, isIndex: false };
}

export function isPositional(part: string): boolean {
  return part === '$';
}

/** `$[]` or `$[<identifier>]`. */
export function isArrayFilterPart(part: string): boolean {
  return part.length >= 3 && part.startsWith('$[') && part.endsWith(']');
}

export function arrayFilterIdentifier(part: string): string {
  return part.slice(2, -1);
}

const DIGIT = /[0-9]/;

/**
 * mongod's cmpPathsAndArrayIndexes: the order in which an update applies the children of one level.
 * Numbers (without leading zeros) order numerically so array indexes apply in index order; other
 * names order byte-wise.
 */
export function compareUpdateFields(a: string, b: string): number {
  const plain = (name: string): boolean =>
    name.length === 0 || !DIGIT.test(name[0]) || (name[0] === '0' && name.length > 1);
  if (plain(a) || plain(b)) return compareStrings(a, b);
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return compareStrings(a, b);
}

/** True when `a` is `b` or a prefix of it, component-wise. */
export function sharesPrefix(a: readonly string[], b: readonly string[]): boolean {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return false;
  return true;
}
