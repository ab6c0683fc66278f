// The parsed form of an operator-style update: a tree with one node per path component (mongod's
// UpdateObjectNode / UpdateArrayNode) and modifier leaves. Applying it walks the document: children
// apply in compareUpdateFields order, the positional `$` child under the field the query matched, and
// `$[]` / `$[<id>]` children under every array element they select, merged when several select one.
import type { BsonDoc, BsonValue, Timestamp } from '../../bson/values.js';
import { compareStrings } from '../../bson/compare.js';
import { CommandError } from '../../errors.js';
import type { DiffLog } from './diff.js';
import type { ElementRef } from './elements.js';
import { compareUpdateFields, dotted, type RuntimePath } from './paths.js';

/** Where new dates and timestamps come from ($currentDate, zero timestamps in replacements). */
export interface UpdateClock {
  date(): Date;
  timestamp(): Timestamp;
}

export interface ApplyContext {
  readonly root: BsonDoc;
  /** The array index the query matched (for the positional `$`), if any. */
  readonly matchedField?: string;
  /** True while building an upserted document ($setOnInsert applies). */
  readonly isInsert: boolean;
  readonly arrayFilters: ReadonlyMap<string, (value: BsonValue) => boolean>;
  readonly clock: UpdateClock;
}

/**
 * Where a node applies: `element` is the deepest existing element on its path, reached by
 * `pathTaken`; `pending` are the components below it that do not exist (yet).
 */
export interface Position {
  readonly element: ElementRef;
  readonly pathTaken: RuntimePath;
  readonly pending: readonly string[];
}

export interface UpdateNode {
  readonly type: 'object' | 'array' | 'leaf';
  /** Applies the node; returns true when the document changed. `log` is absent when not logging. */
  apply(position: Position, ctx: ApplyContext, log: DiffLog | undefined): boolean;
}

/** One level of field names (and an optional positional `$` child). */
export class ObjectNode implements UpdateNode {
  readonly type = 'object';
  readonly children = new Map<string, UpdateNode>();
  positional?: UpdateNode;
  private readonly mergedWithPositional = new Map<string, UpdateNode>();

  getChild(name: string): UpdateNode | undefined {
    return name === '$' ? this.positional : this.children.get(name);
  }

  setChild(name: string, child: UpdateNode): void {
    if (name === '$') this.positional = child;
    else this.children.set(name, child);
  }

  apply(position: Position, ctx: ApplyContext, log: DiffLog | undefined): boolean {
    const matched = ctx.matchedField;
    let positional = this.positional;
    if (positional && !matched)
      throw new CommandError('BadValue', 'The positional operator did not find the match needed from the query.');
    let modified = false;
    const run = (child: UpdateNode, name: string): void => {
      modified = applyChild(child, name, position, ctx, log) || modified;
    };
    for (const name of [...this.children.keys()].sort(compareUpdateFields)) {
      const child = this.children.get(name) as UpdateNode;
      if (positional && name === matched) {
        run(this.mergedPositional(positional, child, name, position), name);
        positional = undefined;
        continue;
      }
      if (positional && matched !== undefined && compareStrings(matched, name) < 0) {
        run(positional, matched);
        positional = undefined;
      }
      run(child, name);
    }
    if (positional && matched !== undefined) run(positional, matched);
    return modified;
  }

  private mergedPositional(positional: UpdateNode, child: UpdateNode, name: string, position: Position): UpdateNode {
    let merged = this.mergedWithPositional.get(name);
    if (!merged) {
      const path = [...position.pathTaken.map((part) => part.name), ...position.pending, name];
      merged = mergeNodes(positional, child, path);
      this.mergedWithPositional.set(name, merged);
    }
    return merged;
  }
}

/** Children keyed by array-filter identifier ('' for `$[]`), applied to the elements they select. */
export class ArrayNode implements UpdateNode {
  readonly type = 'array';
  readonly children = new Map<string, UpdateNode>();

  getChild(name: string): UpdateNode | undefined {
    return this.children.get(name);
  }

  setChild(name: string, child: UpdateNode): void {
    this.children.set(name, child);
  }

  apply(position: Position, ctx: ApplyContext, log: DiffLog | undefined): boolean {
    const { element, pathTaken, pending } = position;
    if (pending.length > 0)
      throw new CommandError(
        'BadValue',
        `The path '${dotted([...pathTaken.map((part) => part.name), ...pending])}' must exist in the document in order to apply array updates.`,
      );
    if (!Array.isArray(element.value))
      throw new CommandError('BadValue', `Cannot apply array updates to non-array element ${element.toString()}`);
    const names = [...this.children.keys()].sort(compareUpdateFields);
    const selections = element.items().map((item) => ({
      item,
      nodes: names.filter((name) => name === '' || ctx.arrayFilters.get(name)?.(item.value) === true),
    }));
    const selected = selections.filter((selection) => selection.nodes.length > 0);
    // With several elements selected the array is logged once, after all of them changed.
    const childrenLog = selected.length <= 1 ? log : undefined;
    const modifiedItems: ElementRef[] = [];
    for (const { item, nodes } of selected) {
      const itemPath: RuntimePath = [...pathTaken, { name: item.name, isIndex: true }];
      let node = this.children.get(nodes[0]) as UpdateNode;
      for (const name of nodes.slice(1))
        node = mergeNodes(
          node,
          this.children.get(name) as UpdateNode,
          itemPath.map((part) => part.name),
        );
      if (node.apply({ element: item, pathTaken: itemPath, pending: [] }, ctx, childrenLog)) modifiedItems.push(item);
    }
    if (log && !childrenLog) {
      if (modifiedItems.length > 1) log.logUpdated(pathTaken, element.value);
      else if (modifiedItems.length === 1)
        log.logUpdated([...pathTaken, { name: modifiedItems[0].name, isIndex: true }], modifiedItems[0].value);
    }
    return modifiedItems.length > 0;
  }
}

/**
 * Applies `child` to the component `name` below `position`: to the existing element if the whole path
 * exists, otherwise with the missing components pending (a sibling may have created part of them).
 */
function applyChild(
  child: UpdateNode,
  name: string,
  position: Position,
  ctx: ApplyContext,
  log: DiffLog | undefined,
): boolean {
  const components = [...position.pending, name];
  let element = position.element;
  const pathTaken = [...position.pathTaken];
  let resolved = 0;
  for (; resolved < components.length; resolved++) {
    const next = element.child(components[resolved]);
    if (!next) break;
    pathTaken.push({ name: components[resolved], isIndex: Array.isArray(element.value) });
    element = next;
  }
  return child.apply({ element, pathTaken, pending: components.slice(resolved) }, ctx, log);
}

/** Combines two nodes that apply to the same element; two leaves (or a leaf and a level) conflict. */
function mergeNodes(left: UpdateNode, right: UpdateNode, path: readonly string[]): UpdateNode {
  if (left instanceof ObjectNode && right instanceof ObjectNode) {
    const merged = new ObjectNode();
    mergeChildren(left.children, right.children, path, false, merged);
    if (left.positional && right.positional)
      merged.positional = mergeNodes(left.positional, right.positional, [...path, '$']);
    else merged.positional = left.positional ?? right.positional;
    return merged;
  }
  if (left instanceof ArrayNode && right instanceof ArrayNode) {
    const merged = new ArrayNode();
    mergeChildren(left.children, right.children, path, true, merged);
    return merged;
  }
  throw new CommandError('ConflictingUpdateOperators', `Update created a conflict at '${dotted(path)}'`);
}

function mergeChildren(
  left: ReadonlyMap<string, UpdateNode>,
  right: ReadonlyMap<string, UpdateNode>,
  path: readonly string[],
  arrayFilterNames: boolean,
  into: ObjectNode | ArrayNode,
): void {
  for (const [name, node] of left) {
    const other = right.get(name);
    const shown = arrayFilterNames ? `$[${name}]` : name;
    into.setChild(name, other ? mergeNodes(node, other, [...path, shown]) : node);
  }
  for (const [name, node] of right) if (!left.has(name)) into.setChild(name, node);
}
