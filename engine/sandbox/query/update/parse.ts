// Parses an operator-style update ({$set: {...}, $inc: {...}}) into the update tree, with mongod's
// checks and messages: unknown modifiers, empty or conflicting paths, positional and array-filter
// placement, and array filters that no path uses.
import { formatValue } from '../../bson/format.js';
import { typeAlias, typeOf, type BsonDoc, type BsonValue } from '../../bson/values.js';
import { CommandError } from '../../errors.js';
import { ArithmeticNode, BitNode } from './arithmetic.js';
import { AddToSetNode, PopNode, PullAllNode, PullNode, PushNode } from './array-operators.js';
import type { ArrayFilters } from './array-filters.js';
import { elementString } from './elements.js';
import { CompareNode, ConflictPlaceholderNode, CurrentDateNode, SetNode, UnsetNode } from './operators.js';
import { arrayFilterIdentifier, dotted, isArrayFilterPart, isPositional } from './paths.js';
import { renameDestination, RenameNode } from './rename.js';
import { ArrayNode, ObjectNode, type UpdateNode } from './tree.js';

type LeafFactory = (field: string, value: BsonValue) => UpdateNode;

const MODIFIERS = new Map<string, LeafFactory>([
  ['$set', (_field, value) => new SetNode(value)],
  ['$setOnInsert', (_field, value) => new SetNode(value, true)],
  ['$unset', () => new UnsetNode()],
  ['$inc', (field, value) => new ArithmeticNode('$inc', field, value)],
  ['$mul', (field, value) => new ArithmeticNode('$mul', field, value)],
  ['$min', (_field, value) => new CompareNode('min', value)],
  ['$max', (_field, value) => new CompareNode('max', value)],
  ['$currentDate', (_field, value) => new CurrentDateNode(value)],
  ['$bit', (_field, value) => new BitNode(value)],
  ['$push', (_field, value) => new PushNode(value)],
  ['$addToSet', (_field, value) => new AddToSetNode(value)],
  ['$pop', (field, value) => new PopNode(field, value)],
  ['$pull', (_field, value) => new PullNode(value)],
  ['$pullAll', (_field, value) => new PullAllNode(value)],
]);

export interface OperatorUpdate {
  readonly root: ObjectNode;
  /** True when a path uses the positional `$`. */
  readonly positional: boolean;
}

export function parseOperatorUpdate(update: BsonDoc, arrayFilters: ArrayFilters): OperatorUpdate {
  if (update.has('$v')) throw new CommandError('FailedToParse', 'The $v update field is only recognized internally');
  const parser = new TreeParser(arrayFilters);
  for (const [operator, fields] of update) {
    const factory = MODIFIERS.get(operator);
    if (!factory && operator !== '$rename')
      throw new CommandError(
        'FailedToParse',
        `Unknown modifier: ${operator}. Expected a valid update modifier or pipeline-style update specified as an array`,
      );
    if (!(fields instanceof Map))
      throw new CommandError(
        'FailedToParse',
        `Modifiers operate on fields but we found type ${typeAlias[typeOf(fields)]} instead. For example: {$mod: {<field>: ...}} not {${elementString(operator, fields)}}`,
      );
    for (const [field, value] of fields) {
      if (factory) {
        parser.add(field, () => factory(field, value));
        continue;
      }
      parser.add(field, () => new ConflictPlaceholderNode());
      const to = renameDestination(field, value);
      parser.add(to, () => new RenameNode(field, to));
    }
  }
  for (const identifier of arrayFilters.keys())
    if (!parser.usedIdentifiers.has(identifier))
      throw new CommandError(
        'FailedToParse',
        `The array filter for identifier '${identifier}' was not used in the update ${formatValue(update)}`,
      );
  return { root: parser.root, positional: parser.positional };
}

class TreeParser {
  readonly root = new ObjectNode();
  readonly usedIdentifiers = new Set<string>();
  positional = false;

  constructor(private readonly arrayFilters: ArrayFilters) {}

  add(path: string, makeLeaf: () => UpdateNode): void {
    if (path === '') throw new CommandError('EmptyFieldName', 'An empty update path is not valid.');
    const parts = path.split('.');
    if (parts.includes(''))
      throw new CommandError(
        'EmptyFieldName',
        `The update path '${path}' contains an empty field name, which is not allowed.`,
      );
    const positions = parts.flatMap((part, index) => (isPositional(part) ? [index] : []));
    if (positions.length > 1)
      throw new CommandError('BadValue', `Too many positional (i.e. '$') elements found in path '${path}'`);
    if (positions[0] === 0)
      throw new CommandError(
        'BadValue',
        `Cannot have positional (i.e. '$') element in the first position in path '${path}'`,
      );
    const leaf = makeLeaf();
    let current: ObjectNode | ArrayNode = this.root;
    for (let i = 0; i < parts.length - 1; i++) {
      const name = this.childName(parts, i, path);
      const shouldBeArray = isArrayFilterPart(parts[i + 1]);
      const existing = current.getChild(name);
      let next: UpdateNode;
      if (existing) {
        if (existing.type !== (shouldBeArray ? 'array' : 'object')) throw conflict(path, parts.slice(0, i + 1));
        next = existing;
      } else {
        next = shouldBeArray ? new ArrayNode() : new ObjectNode();
        current.setChild(name, next);
      }
      current = next as ObjectNode | ArrayNode;
    }
    const last = this.childName(parts, parts.length - 1, path);
    if (current.getChild(last)) throw conflict(path, parts);
    current.setChild(last, leaf);
    if (positions.length > 0) this.positional = true;
  }

  private childName(parts: string[], index: number, path: string): string {
    const part = parts[index];
    if (!isArrayFilterPart(part)) return part;
    if (index === 0)
      throw new CommandError(
        'BadValue',
        `Cannot have array filter identifier (i.e. '$[<id>]') element in the first position in path '${path}'`,
      );
    const identifier = arrayFilterIdentifier(part);
    if (identifier !== '' && !this.arrayFilters.has(identifier))
      throw new CommandError('BadValue', `No array filter found for identifier '${identifier}' in path '${path}'`);
    if (identifier !== '') this.usedIdentifiers.add(identifier);
    return identifier;
  }
}

function conflict(path: string, at: string[]): CommandError {
  return new CommandError(
    'ConflictingUpdateOperators',
    `Updating the path '${path}' would create a conflict at '${dotted(at)}'`,
  );
}
