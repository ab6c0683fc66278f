// The array modifiers: $push (with $each, $slice, $sort, $position), $addToSet, $pop, $pull and
// $pullAll. Appending to a non-empty array is logged as the appended entries ("a.3"); any other change
// logs the whole array.
import { compareValues } from '../../bson/compare.js';
import { formatValue } from '../../bson/format.js';
import { getPath } from '../../bson/path.js';
import { BSONRegExp, typeAlias, typeOf, type BsonDoc, type BsonValue } from '../../bson/values.js';
import { CommandError } from '../../errors.js';
import { compileFilter } from '../matcher.js';
import { cloneValue, elementString, idString, type ElementRef } from './elements.js';
import { ModifierNode, type ModifyResult } from './modifier.js';
import { asNumber } from './numbers.js';
import { dotted, type RuntimePath } from './paths.js';
import type { ApplyContext } from './tree.js';

const PUSH_CLAUSES = new Set(['$each', '$slice', '$sort', '$position']);

/** Operators that make {$pull: {field: {<op>: ...}}} a condition on each element (not a sub-document query). */
const PATH_ACCEPTING_OPERATORS = new Set([
  '$all',
  '$bitsAllClear',
  '$bitsAllSet',
  '$bitsAnyClear',
  '$bitsAnySet',
  '$elemMatch',
  '$eq',
  '$exists',
  '$geoIntersects',
  '$geoWithin',
  '$gt',
  '$gte',
  '$in',
  '$lt',
  '$lte',
  '$maxDistance',
  '$minDistance',
  '$mod',
  '$ne',
  '$near',
  '$nearSphere',
  '$nin',
  '$not',
  '$options',
  '$regex',
  '$size',
  '$type',
  '$within',
]);

function typeName(value: BsonValue): string {
  return typeAlias[typeOf(value)];
}

/** An integral number argument ($slice, $position, $pop), as mongod's parseIntegerElementToLong reads one. */
function integerArgument(value: BsonValue): number | undefined {
  const number = asNumber(value);
  if (!number) return undefined;
  const numeric = Number(number.toString());
  return Number.isInteger(numeric) ? numeric : undefined;
}

function sortComparator(sort: BsonValue): (a: BsonValue, b: BsonValue) => number {
  if (!(sort instanceof Map)) {
    const number = asNumber(sort);
    const direction = number ? Number(number.toString()) : undefined;
    if (direction !== 1 && direction !== -1)
      throw new CommandError(
        'BadValue',
        number
          ? 'The $sort element value must be either 1 or -1'
          : 'The $sort is invalid: use 1/-1 to sort the whole element, or {field:1/-1} to sort embedded fields',
      );
    return (a, b) => compareValues(a, b) * direction;
  }
  if (sort.size === 0)
    throw new CommandError('BadValue', 'The sort pattern is empty when it should be a set of fields.');
  const fields: { path: string; direction: number }[] = [];
  for (const [path, value] of sort) {
    const number = asNumber(value);
    const direction = number ? Number(number.toString()) : 0;
    if (direction !== 1 && direction !== -1)
      throw new CommandError('BadValue', 'The sort element value must be either 1 or -1');
    if (path === '') throw new CommandError('BadValue', 'The sort field cannot be empty');
    if (path.split('.').includes(''))
      throw new CommandError('BadValue', `The sort field is a dotted field but has an empty part: ${path}`);
    fields.push({ path, direction });
  }
  // Elements that are not documents sort as documents with every sort field null.
  const key = (value: BsonValue): BsonValue[] =>
    fields.map(({ path }) => (value instanceof Map ? (getPath(value, path) ?? null) : null));
  return (a, b) => {
    const x = key(a);
    const y = key(b);
    for (let i = 0; i < fields.length; i++) {
      const order = compareValues(x[i], y[i]);
      if (order !== 0) return order * fields[i].direction;
    }
    return 0;
  };
}

export class PushNode extends ModifierNode {
  private readonly values: BsonValue[];
  private slice?: number;
  private sort?: (a: BsonValue, b: BsonValue) => number;
  private position?: number;

  constructor(value: BsonValue) {
    super();
    if (!(value instanceof Map) || !value.has('$each')) {
      this.values = [value];
      return;
    }
    const seen = new Set<string>();
    for (const clause of value.keys()) {
      if (!PUSH_CLAUSES.has(clause)) throw new CommandError('BadValue', `Unrecognized clause in $push: ${clause}`);
      if (seen.has(clause)) throw new CommandError('BadValue', `Only one ${clause} is supported.`);
      seen.add(clause);
    }
    const each = value.get('$each') as BsonValue;
    if (!Array.isArray(each))
      throw new CommandError(
        'BadValue',
        `The argument to $each in $push must be an array but it was of type: ${typeName(each)}`,
      );
    this.values = each;
    this.parseClauses(value);
  }

  private parseClauses(spec: BsonDoc): void {
    const slice = spec.get('$slice');
    if (slice !== undefined) {
      this.slice = integerArgument(slice);
      if (this.slice === undefined)
        throw new CommandError(
          'BadValue',
          `The value for $slice must be an integer value but was given type: ${typeName(slice)}`,
        );
    }
    const sort = spec.get('$sort');
    if (sort !== undefined) this.sort = sortComparator(sort);
    const position = spec.get('$position');
    if (position !== undefined) {
      this.position = integerArgument(position);
      if (this.position === undefined)
        throw new CommandError(
          'BadValue',
          `The value for $position must be an integer value, not of type: ${typeName(position)}`,
        );
    }
  }

  protected override allowsCreation(): boolean {
    return true;
  }

  protected override newValue(): BsonValue {
    const array: BsonValue[] = [];
    this.push(array);
    return array;
  }

  protected updateExisting(element: ElementRef, path: RuntimePath, ctx: ApplyContext): ModifyResult {
    const array = element.value;
    if (!Array.isArray(array))
      throw new CommandError(
        'BadValue',
        `The field '${dotted(path)}' must be an array but is of type ${typeName(array)} in document {${idString(ctx.root)}}`,
      );
    return this.push(array);
  }

  private push(array: BsonValue[]): ModifyResult {
    let result = this.insert(array);
    if (this.sort) {
      array.sort(this.sort);
      result = 'updated';
    }
    if (this.slice !== undefined) {
      const keep = Math.abs(this.slice);
      if (array.length > keep) {
        if (this.slice >= 0) array.splice(keep);
        else array.splice(0, array.length - keep);
        result = 'updated';
      }
    }
    return result;
  }

  private insert(array: BsonValue[]): ModifyResult {
    if (this.values.length === 0) return 'noop';
    const values = this.values.map(cloneValue);
    const size = array.length;
    const position = this.position;
    if (size === 0) {
      array.push(...values);
      return 'updated';
    }
    if (position === undefined || position > size) {
      array.push(...values);
      return { appended: values.length };
    }
    let at = 0;
    if (position > 0) at = position;
    else if (position < 0 && -position < size) at = size + position;
    array.splice(at, 0, ...values);
    return 'updated';
  }
}

export class AddToSetNode extends ModifierNode {
  private readonly values: BsonValue[] = [];

  constructor(value: BsonValue) {
    super();
    let candidates = [value];
    if (value instanceof Map && value.keys().next().value === '$each') {
      const each = value.get('$each') as BsonValue;
      if (!Array.isArray(each))
        throw new CommandError(
          'TypeMismatch',
          `The argument to $each in $addToSet must be an array but it was of type ${typeName(each)}`,
        );
      if (value.size > 1)
        throw new CommandError('BadValue', `Found unexpected fields after $each in $addToSet: ${formatValue(value)}`);
      candidates = each;
    }
    for (const candidate of candidates)
      if (!this.values.some((kept) => compareValues(kept, candidate) === 0)) this.values.push(candidate);
  }

  protected override allowsCreation(): boolean {
    return true;
  }

  protected override newValue(): BsonValue {
    return this.values.map(cloneValue);
  }

  protected updateExisting(element: ElementRef): ModifyResult {
    const array = element.value;
    if (!Array.isArray(array))
      throw new CommandError(
        'BadValue',
        `Cannot apply $addToSet to non-array field. Field named '${element.name}' has non-array type ${typeName(array)}`,
      );
    const missing = this.values.filter((value) => !array.some((item) => compareValues(item, value) === 0));
    if (missing.length === 0) return 'noop';
    array.push(...missing.map(cloneValue));
    return { appended: missing.length };
  }
}

export class PopNode extends ModifierNode {
  private readonly fromFront: boolean;

  constructor(field: string, value: BsonValue) {
    super();
    const number = asNumber(value);
    if (!number) throw new CommandError('FailedToParse', `Expected a number in: ${elementString(field, value)}`);
    const direction = integerArgument(value);
    if (direction === undefined)
      throw new CommandError('FailedToParse', `Expected an integer: ${elementString(field, value)}`);
    if (direction !== 1 && direction !== -1)
      throw new CommandError('FailedToParse', `$pop expects 1 or -1, found: ${direction}`);
    this.fromFront = direction === -1;
  }

  protected updateExisting(element: ElementRef, path: RuntimePath): ModifyResult {
    const array = element.value;
    if (!Array.isArray(array))
      throw new CommandError(
        'TypeMismatch',
        `Path '${dotted(path)}' contains an element of non-array type '${typeName(array)}'`,
      );
    if (array.length === 0) return 'noop';
    if (this.fromFront) array.shift();
    else array.pop();
    return 'updated';
  }
}

/** $pull and $pullAll: remove every element that matches. */
abstract class ArrayCullingNode extends ModifierNode {
  protected abstract matches(item: BsonValue): boolean;

  protected updateExisting(element: ElementRef): ModifyResult {
    const array = element.value;
    if (!Array.isArray(array)) throw new CommandError('BadValue', 'Cannot apply $pull to a non-array value');
    const kept = array.filter((item) => !this.matches(item));
    if (kept.length === array.length) return 'noop';
    array.splice(0, array.length, ...kept);
    return 'updated';
  }
}

export class PullNode extends ArrayCullingNode {
  private readonly predicate: (item: BsonValue) => boolean;

  constructor(value: BsonValue) {
    super();
    const first = value instanceof Map ? value.keys().next().value : undefined;
    if (value instanceof Map && (first === undefined || !PATH_ACCEPTING_OPERATORS.has(first))) {
      // A sub-document query: only document elements can match.
      const predicate = compileFilter(value);
      this.predicate = (item) => item instanceof Map && predicate(item);
    } else if (value instanceof Map || value instanceof BSONRegExp) {
      // A condition on the element itself, evaluated as the value of a wrapper field.
      const predicate = compileFilter(new Map([['v', value]]));
      this.predicate = (item) => predicate(new Map([['v', item]]));
    } else {
      this.predicate = (item) => compareValues(item, value) === 0;
    }
  }

  protected matches(item: BsonValue): boolean {
    return this.predicate(item);
  }
}

export class PullAllNode extends ArrayCullingNode {
  private readonly values: BsonValue[];

  constructor(value: BsonValue) {
    super();
    if (!Array.isArray(value))
      throw new CommandError('BadValue', `$pullAll requires an array argument but was given a ${typeName(value)}`);
    this.values = value;
  }

  protected matches(item: BsonValue): boolean {
    return this.values.some((value) => compareValues(item, value) === 0);
  }
}
