// The sandbox's update engine on its own: operators on the typed view, error codes and messages as
// mongod 8.0 gives them, and the $v:2 deltas and change-stream update descriptions the replication
// engine replays.
import { BSON } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { decodeDocument } from '../../engine/sandbox/bson/decode.js';
import { encodeDocument } from '../../engine/sandbox/bson/encode.js';
import { compilePipeline } from '../../engine/sandbox/query/pipeline.js';
import {
  Decimal128,
  Double,
  Int32,
  Long,
  ObjectId,
  Timestamp,
  type BsonDoc,
  type BsonValue,
  type EncodableValue,
} from '../../engine/sandbox/bson/values.js';
import { Catalog } from '../../engine/sandbox/storage/catalog.js';
import { CommandError } from '../../engine/sandbox/errors.js';
import {
  applyUpdate,
  buildUpsert,
  parseUpdate,
  type UpdateEnvironment,
} from '../../engine/sandbox/query/update/index.js';

const NOW = new Date('2024-05-01T00:00:00Z');
const env: UpdateEnvironment = {
  clock: { date: () => NOW, timestamp: () => new Timestamp({ t: 1714521600, i: 1 }) },
  evaluatePipeline: (doc, stages, constants) =>
    compilePipeline(new Catalog(), 'test', stages, { variables: constants })([doc])[0],
};

/** A typed document from a JS literal: integers become int32, other numbers double. */
function typed(value: Record<string, EncodableValue>): BsonDoc {
  return decodeDocument(encodeDocument(value));
}

/** A comparable view that keeps BSON types (Int32 vs Double vs Long). */
function shown(value: BsonValue | undefined): unknown {
  if (value === undefined) return undefined;
  return BSON.deserialize(encodeDocument(new Map([['v', value]])), { promoteValues: false }).v;
}

interface Options {
  filter?: Record<string, EncodableValue>;
  arrayFilters?: Record<string, EncodableValue>[];
  multi?: boolean;
}

function update(
  docValue: Record<string, EncodableValue>,
  u: Record<string, EncodableValue> | EncodableValue[],
  options: Options = {},
) {
  const spec = Array.isArray(u) ? (typed({ u }).get('u') as BsonValue[]) : typed(u);
  const parsed = parseUpdate(spec, {
    clock: env.clock,
    multi: options.multi,
    arrayFilters: options.arrayFilters?.map((filter) => typed(filter)),
  });
  const result = applyUpdate(parsed, typed(docValue), env, { filter: options.filter && typed(options.filter) });
  return {
    modified: result.modified,
    doc: shown(result.doc),
    diff: shown(result.diff),
    description: shown(result.description),
  };
}

function failure(run: () => unknown): { code: number; codeName: string; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof CommandError) return { code: error.code, codeName: error.codeName, message: error.message };
    throw error;
  }
  throw new Error('expected the update to fail');
}

const i32 = (value: number): Int32 => new Int32(value);
const dbl = (value: number): Double => new Double(value);
const description = (
  updatedFields: Record<string, unknown>,
  removedFields: string[] = [],
  truncatedArrays: unknown[] = [],
  disambiguatedPaths: Record<string, unknown> = {},
) => ({ updatedFields, removedFields, truncatedArrays, disambiguatedPaths });

describe('field operators', () => {
  it('sets existing and new fields, creating intermediate documents', () => {
    const result = update({ _id: 1, a: 1 }, { $set: { a: 2, 'b.c.d': 'x' } });
    expect(result.doc).toStrictEqual({ _id: i32(1), a: i32(2), b: { c: { d: 'x' } } });
    expect(result.diff).toStrictEqual({ u: { a: i32(2) }, i: { b: { c: { d: 'x' } } } });
    expect(result.description).toStrictEqual(description({ a: i32(2), b: { c: { d: 'x' } } }));
  });

  it('adds new fields in sorted order, whatever order the update lists them in', () => {
    const result = update({ _id: 1 }, { $set: { z: 1, b: 1, a: 1 } });
    expect(Object.keys(result.doc as object)).toStrictEqual(['_id', 'a', 'b', 'z']);
  });

  it('counts a $set to the identical value as no change, but not one that changes the type', () => {
    expect(update({ _id: 1, a: 1 }, { $set: { a: 1 } }).modified).toBe(false);
    const retyped = update({ _id: 1, a: 1 }, { $set: { a: 1.5 } });
    expect(retyped.modified).toBe(true);
    expect(update({ _id: 1, a: 1 }, { $set: { a: dbl(1) } }).doc).toStrictEqual({ _id: i32(1), a: dbl(1) });
  });

  it('unsets fields and sets unset array elements to null', () => {
    const result = update({ _id: 1, a: 1, b: [1, 2], c: 3 }, { $unset: { a: '', 'b.0': 1, missing: 1 } });
    expect(result.doc).toStrictEqual({ _id: i32(1), b: [null, i32(2)], c: i32(3) });
    expect(result.diff).toStrictEqual({ d: { a: false }, sb: { a: true, u0: null } });
    expect(result.description).toStrictEqual(description({ 'b.0': null }, ['a']));
  });

  it('applies $setOnInsert only when inserting', () => {
    expect(update({ _id: 1 }, { $setOnInsert: { a: 1 } }).modified).toBe(false);
    const parsed = parseUpdate(typed({ $setOnInsert: { a: 1 }, $set: { b: 2 } }), { clock: env.clock });
    const inserted = buildUpsert(parsed, typed({ _id: 7, x: 'y' }), env);
    expect(shown(inserted)).toStrictEqual({ _id: i32(7), x: 'y', a: i32(1), b: i32(2) });
  });

  it('sets the current date or a timestamp with $currentDate', () => {
    const result = update({ _id: 1 }, { $currentDate: { d: true, t: { $type: 'timestamp' } } });
    expect(result.doc).toStrictEqual({ _id: i32(1), d: NOW, t: new Timestamp({ t: 1714521600, i: 1 }) });
  });

  it('keeps the smaller or larger value with $min and $max, comparing across types', () => {
    expect(update({ _id: 1, a: 5 }, { $min: { a: 3 } }).doc).toStrictEqual({ _id: i32(1), a: i32(3) });
    expect(update({ _id: 1, a: 5 }, { $max: { a: 3 } }).modified).toBe(false);
    expect(update({ _id: 1, a: 5 }, { $min: { a: dbl(5) } }).modified).toBe(false);
    expect(update({ _id: 1, a: 5 }, { $max: { a: 'str' } }).doc).toStrictEqual({ _id: i32(1), a: 'str' });
  });

  it('renames fields, logging the new field and the removed one', () => {
    const result = update({ _id: 1, a: { b: 1 }, c: 2 }, { $rename: { 'a.b': 'x' } });
    expect(result.doc).toStrictEqual({ _id: i32(1), a: {}, c: i32(2), x: i32(1) });
    expect(result.diff).toStrictEqual({ i: { x: i32(1) }, sa: { d: { b: false } } });
    expect(result.description).toStrictEqual(description({ x: i32(1) }, ['a.b']));
  });

  it('rejects $rename into or out of an array element', () => {
    expect(failure(() => update({ _id: 1, a: [{ b: 1 }] }, { $rename: { 'a.0.b': 'c' } })).message).toBe(
      "The source field cannot be an array element, 'a.0.b' in doc with _id: 1 has an array field called 'a'",
    );
    expect(failure(() => update({ _id: 1, a: 1, b: [] }, { $rename: { a: 'b.0' } })).message).toBe(
      "The destination field cannot be an array element, 'b.0' in doc with _id: 1 has an array field called 'b'",
    );
  });
});

describe('arithmetic', () => {
  it('keeps int32 while it fits and widens to long on overflow', () => {
    expect(update({ _id: 1, a: 5 }, { $inc: { a: 2 } }).doc).toStrictEqual({ _id: i32(1), a: i32(7) });
    expect(update({ _id: 1, a: 2147483647 }, { $inc: { a: 1 } }).doc).toStrictEqual({
      _id: i32(1),
      a: Long.fromString('2147483648'),
    });
    expect(update({ _id: 1, a: 65536 }, { $mul: { a: 65536 } }).doc).toStrictEqual({
      _id: i32(1),
      a: Long.fromString('4294967296'),
    });
  });

  it('fails a long that overflows, as mongod does', () => {
    const error = failure(() => update({ _id: 1, a: Long.MAX_VALUE }, { $inc: { a: 1 } }));
    expect(error).toStrictEqual({
      code: 2,
      codeName: 'BadValue',
      message:
        'Failed to apply $inc operations to current value ((NumberLong)9223372036854775807) for document {_id: 1}',
    });
  });

  it('makes a double of anything mixed with a double, and a decimal of anything mixed with a decimal', () => {
    expect(update({ _id: 1, a: 1 }, { $inc: { a: 0.5 } }).doc).toStrictEqual({ _id: i32(1), a: dbl(1.5) });
    expect(update({ _id: 1, a: Long.fromNumber(2) }, { $mul: { a: 1.5 } }).doc).toStrictEqual({
      _id: i32(1),
      a: dbl(3),
    });
    expect(update({ _id: 1, a: Decimal128.fromString('1.50') }, { $inc: { a: 1 } }).doc).toStrictEqual({
      _id: i32(1),
      a: Decimal128.fromString('2.50'),
    });
    expect(update({ _id: 1, a: 1 }, { $inc: { a: Decimal128.fromString('0.1') } }).doc).toStrictEqual({
      _id: i32(1),
      a: Decimal128.fromString('1.1'),
    });
  });

  it('creates missing fields with the operand ($inc) or a zero of its type ($mul)', () => {
    expect(update({ _id: 1 }, { $inc: { a: Long.fromNumber(3) }, $mul: { b: 2.5, c: 4 } }).doc).toStrictEqual({
      _id: i32(1),
      a: Long.fromNumber(3),
      b: dbl(0),
      c: i32(0),
    });
  });

  it('treats an increment by zero as no change', () => {
    expect(update({ _id: 1, a: 1 }, { $inc: { a: 0 } }).modified).toBe(false);
  });

  it('refuses arithmetic on non-numbers with TypeMismatch', () => {
    expect(failure(() => update({ _id: 1, a: 'x' }, { $inc: { a: 1 } }))).toStrictEqual({
      code: 14,
      codeName: 'TypeMismatch',
      message:
        "Cannot apply $inc to a value of non-numeric type. {_id: 1} has the field 'a' of non-numeric type string",
    });
    expect(failure(() => update({ _id: 1 }, { $inc: { a: 'x' } })).message).toBe(
      'Cannot increment with non-numeric argument: {a: "x"}',
    );
  });

  it('applies $bit and/or/xor keeping int32 unless a long is involved', () => {
    expect(update({ _id: 1, a: 13 }, { $bit: { a: { and: 10 } } }).doc).toStrictEqual({ _id: i32(1), a: i32(8) });
    expect(update({ _id: 1, a: 13 }, { $bit: { a: { or: Long.fromNumber(2) } } }).doc).toStrictEqual({
      _id: i32(1),
      a: Long.fromNumber(15),
    });
    expect(failure(() => update({ _id: 1, a: 1.5 }, { $bit: { a: { xor: 1 } } })).code).toBe(2);
  });
});

describe('array operators', () => {
  it('logs a push onto a non-empty array as the appended element', () => {
    const result = update({ _id: 1, a: [1, 2] }, { $push: { a: 3 } });
    expect(result.doc).toStrictEqual({ _id: i32(1), a: [i32(1), i32(2), i32(3)] });
    expect(result.diff).toStrictEqual({ sa: { a: true, u2: i32(3) } });
    expect(result.description).toStrictEqual(description({ 'a.2': i32(3) }));
  });

  it('logs a push onto an empty array, or with $position/$sort/$slice, as the whole array', () => {
    expect(update({ _id: 1, a: [] }, { $push: { a: 1 } }).description).toStrictEqual(description({ a: [i32(1)] }));
    const sorted = update({ _id: 1, a: [3, 1] }, { $push: { a: { $each: [2], $sort: -1, $slice: 2 } } });
    expect(sorted.doc).toStrictEqual({ _id: i32(1), a: [i32(3), i32(2)] });
    expect(sorted.description).toStrictEqual(description({ a: [i32(3), i32(2)] }));
    const positioned = update({ _id: 1, a: [1, 2, 3] }, { $push: { a: { $each: [9], $position: -1 } } });
    expect(positioned.doc).toStrictEqual({ _id: i32(1), a: [i32(1), i32(2), i32(9), i32(3)] });
  });

  it('sorts pushed documents by a pattern', () => {
    const result = update(
      { _id: 1, a: [{ s: 2 }, { s: 1 }] },
      { $push: { a: { $each: [{ s: 0 }], $sort: { s: 1 } } } },
    );
    expect(result.doc).toStrictEqual({ _id: i32(1), a: [{ s: i32(0) }, { s: i32(1) }, { s: i32(2) }] });
  });

  it('reports BadValue for $push onto a non-array', () => {
    expect(failure(() => update({ _id: 1, a: 1 }, { $push: { a: 2 } }))).toStrictEqual({
      code: 2,
      codeName: 'BadValue',
      message: "The field 'a' must be an array but is of type int in document {_id: 1}",
    });
  });

  it('adds only missing values with $addToSet', () => {
    const result = update({ _id: 1, a: [1, 2] }, { $addToSet: { a: { $each: [2, 3, 3] } } });
    expect(result.doc).toStrictEqual({ _id: i32(1), a: [i32(1), i32(2), i32(3)] });
    expect(update({ _id: 1, a: [1, 2] }, { $addToSet: { a: dbl(2) } }).modified).toBe(false);
  });

  it('pops from either end and logs the whole array', () => {
    const result = update({ _id: 1, a: [1, 2, 3] }, { $pop: { a: -1 } });
    expect(result.doc).toStrictEqual({ _id: i32(1), a: [i32(2), i32(3)] });
    expect(result.description).toStrictEqual(description({ a: [i32(2), i32(3)] }));
    expect(failure(() => update({ _id: 1, a: [1] }, { $pop: { a: 2 } }))).toStrictEqual({
      code: 9,
      codeName: 'FailedToParse',
      message: '$pop expects 1 or -1, found: 2',
    });
  });

  it('pulls values, conditions and sub-document matches', () => {
    expect(update({ _id: 1, a: [1, 2, 3, 2] }, { $pull: { a: 2 } }).doc).toStrictEqual({
      _id: i32(1),
      a: [i32(1), i32(3)],
    });
    expect(update({ _id: 1, a: [1, 5, 9] }, { $pull: { a: { $gte: 5 } } }).doc).toStrictEqual({
      _id: i32(1),
      a: [i32(1)],
    });
    expect(update({ _id: 1, a: [{ x: 1, y: 1 }, { x: 2 }] }, { $pull: { a: { x: 1 } } }).doc).toStrictEqual({
      _id: i32(1),
      a: [{ x: i32(2) }],
    });
    expect(update({ _id: 1, a: [1, 2, 3] }, { $pullAll: { a: [1, 3] } }).doc).toStrictEqual({
      _id: i32(1),
      a: [i32(2)],
    });
  });
});

describe('paths', () => {
  it('pads arrays with nulls when setting past the end, logging only the new index', () => {
    const result = update({ _id: 1, a: [1] }, { $set: { 'a.3': 4 } });
    expect(result.doc).toStrictEqual({ _id: i32(1), a: [i32(1), null, null, i32(4)] });
    expect(result.diff).toStrictEqual({ sa: { a: true, u3: i32(4) } });
  });

  it('logs a field created inside an existing array element as that element', () => {
    const result = update({ _id: 1, a: [] }, { $set: { 'a.0.b': 1 } });
    expect(result.doc).toStrictEqual({ _id: i32(1), a: [{ b: i32(1) }] });
    expect(result.diff).toStrictEqual({ sa: { a: true, u0: { b: i32(1) } } });
    expect(result.description).toStrictEqual(description({ 'a.0': { b: i32(1) } }));
  });

  it('reports PathNotViable when a path would go through a scalar', () => {
    expect(failure(() => update({ _id: 1, a: 1 }, { $set: { 'a.b': 2 } }))).toStrictEqual({
      code: 28,
      codeName: 'PathNotViable',
      message: "Cannot create field 'b' in element {a: 1}",
    });
    expect(failure(() => update({ _id: 1, a: [1] }, { $set: { 'a.x': 2 } })).message).toBe(
      "Cannot create field 'x' in element {a: [ 1 ]}",
    );
  });

  it('reports ConflictingUpdateOperators for overlapping paths', () => {
    expect(failure(() => update({ _id: 1 }, { $set: { a: 1 }, $inc: { a: 1 } }))).toStrictEqual({
      code: 40,
      codeName: 'ConflictingUpdateOperators',
      message: "Updating the path 'a' would create a conflict at 'a'",
    });
    expect(failure(() => update({ _id: 1 }, { $set: { 'a.b': 1, a: 1 } })).message).toBe(
      "Updating the path 'a' would create a conflict at 'a'",
    );
    expect(failure(() => update({ _id: 1 }, { $set: { a: 1, 'a.b': 1 } })).message).toBe(
      "Updating the path 'a.b' would create a conflict at 'a'",
    );
  });

  it('refuses to change _id', () => {
    expect(failure(() => update({ _id: 1 }, { $set: { _id: 2 } }))).toStrictEqual({
      code: 66,
      codeName: 'ImmutableField',
      message: "Performing an update on the path '_id' would modify the immutable field '_id'",
    });
    expect(update({ _id: 1 }, { $set: { _id: 1 } }).modified).toBe(false);
  });

  it('refuses unknown modifiers and non-document modifier arguments with FailedToParse', () => {
    expect(failure(() => update({ _id: 1 }, { $foo: { a: 1 } }))).toStrictEqual({
      code: 9,
      codeName: 'FailedToParse',
      message:
        'Unknown modifier: $foo. Expected a valid update modifier or pipeline-style update specified as an array',
    });
    expect(failure(() => update({ _id: 1 }, { $set: 5 })).message).toBe(
      'Modifiers operate on fields but we found type int instead. For example: {$mod: {<field>: ...}} not {$set: 5}',
    );
  });

  it('refuses a new top-level field starting with $', () => {
    expect(failure(() => update({ _id: 1 }, { $set: { $x: 1 } })).code).toBe(52);
    expect(update({ _id: 1 }, { $set: { 'a.$x': 1 } }).doc).toStrictEqual({ _id: i32(1), a: { $x: i32(1) } });
  });
});

describe('positional operators', () => {
  it('updates the element the query matched with $', () => {
    const result = update(
      { _id: 1, grades: [{ g: 80 }, { g: 85 }, { g: 90 }] },
      { $set: { 'grades.$.g': 86 } },
      { filter: { 'grades.g': 85 } },
    );
    expect(result.doc).toStrictEqual({ _id: i32(1), grades: [{ g: i32(80) }, { g: i32(86) }, { g: i32(90) }] });
    expect(result.description).toStrictEqual(description({ 'grades.1.g': i32(86) }));
  });

  it('fails $ when the query did not match an array element', () => {
    expect(failure(() => update({ _id: 1, a: [1] }, { $set: { 'a.$': 2 } }, { filter: { _id: 1 } }))).toStrictEqual({
      code: 2,
      codeName: 'BadValue',
      message: 'The positional operator did not find the match needed from the query.',
    });
  });

  it('updates every element with $[] and logs the whole array when several change', () => {
    const result = update({ _id: 1, a: [1, 2, 3] }, { $inc: { 'a.$[]': 10 } });
    expect(result.doc).toStrictEqual({ _id: i32(1), a: [i32(11), i32(12), i32(13)] });
    expect(result.description).toStrictEqual(description({ a: [i32(11), i32(12), i32(13)] }));
  });

  it('updates the elements an array filter selects, logging a single changed element by index', () => {
    const result = update(
      { _id: 1, a: [{ x: 1 }, { x: 5 }] },
      { $set: { 'a.$[e].y': true } },
      {
        arrayFilters: [{ 'e.x': { $gt: 2 } }],
      },
    );
    expect(result.doc).toStrictEqual({ _id: i32(1), a: [{ x: i32(1) }, { x: i32(5), y: true }] });
    expect(result.description).toStrictEqual(description({ 'a.1.y': true }));
  });

  it('reports array filter problems as mongod does', () => {
    expect(failure(() => update({ _id: 1, a: [1] }, { $set: { 'a.$[i]': 1 } }))).toStrictEqual({
      code: 2,
      codeName: 'BadValue',
      message: "No array filter found for identifier 'i' in path 'a.$[i]'",
    });
    expect(failure(() => update({ _id: 1, a: [1] }, { $set: { a: 1 } }, { arrayFilters: [{ i: 1 }] }))).toStrictEqual({
      code: 9,
      codeName: 'FailedToParse',
      message: "The array filter for identifier 'i' was not used in the update { $set: { a: 1 } }",
    });
    expect(
      failure(() =>
        update({ _id: 1, a: [0] }, { $set: { 'a.$[i]': 2, 'a.$[j]': 3 } }, { arrayFilters: [{ i: 0 }, { j: 0 }] }),
      ).message,
    ).toBe("Update created a conflict at 'a.0'");
  });
});

describe('replacement and pipeline updates', () => {
  it('replaces the document, keeping its _id', () => {
    const result = update({ _id: 1, a: 1 }, { b: 2 });
    expect(result.doc).toStrictEqual({ _id: i32(1), b: i32(2) });
    expect(result.diff).toBeUndefined();
    expect(update({ _id: 1, a: 1 }, { a: 1 }).modified).toBe(false);
  });

  it('refuses a replacement that changes _id or holds a top-level $ field', () => {
    expect(failure(() => update({ _id: 1 }, { _id: 2 })).message).toBe(
      "After applying the update, the (immutable) field '_id' was found to have been altered to _id: 2",
    );
    expect(failure(() => update({ _id: 1 }, { a: 1, $b: 1 })).code).toBe(52);
  });

  it('diffs a pipeline update per array index, with truncation', () => {
    const result = update({ _id: 1, big: 'x'.repeat(64), a: [1, 2, 3, 4], b: 1 }, [
      { $set: { a: [1, 9, 3], c: 'new' } },
      { $unset: 'b' },
    ]);
    expect(result.doc).toStrictEqual({ _id: i32(1), big: 'x'.repeat(64), a: [i32(1), i32(9), i32(3)], c: 'new' });
    expect(result.diff).toStrictEqual({ d: { b: false }, i: { c: 'new' }, sa: { a: true, l: i32(3), u1: i32(9) } });
    expect(result.description).toStrictEqual(
      description({ c: 'new', 'a.1': i32(9) }, ['b'], [{ field: 'a', newSize: i32(3) }]),
    );
  });

  it('keeps the exact types of fields a pipeline leaves alone', () => {
    const result = update({ _id: 1, l: Long.fromNumber(5), d: dbl(2) }, [{ $set: { n: { $add: ['$d', 1] } } }]);
    expect(result.doc).toStrictEqual({ _id: i32(1), l: Long.fromNumber(5), d: dbl(2), n: i32(3) });
  });
});

describe('update descriptions', () => {
  it('disambiguates numeric field names and dotted field names', () => {
    const result = update({ _id: 1, a: { '0': 1 }, arr: [{ '1': 1 }] }, { $set: { 'a.0': 2, 'arr.0.1': 3 } });
    expect(result.description).toStrictEqual(
      description({ 'a.0': i32(2), 'arr.0.1': i32(3) }, [], [], {
        'a.0': ['a', '0'],
        'arr.0.1': ['arr', i32(0), '1'],
      }),
    );
  });

  it('reports nested changes with dotted paths', () => {
    const result = update({ _id: 1, a: { b: { c: 1, d: 1 } } }, { $set: { 'a.b.c': 2 }, $unset: { 'a.b.d': 1 } });
    expect(result.diff).toStrictEqual({ sa: { sb: { d: { d: false }, u: { c: i32(2) } } } });
    expect(result.description).toStrictEqual(description({ 'a.b.c': i32(2) }, ['a.b.d']));
  });
});

describe('upserts', () => {
  it('seeds the document from equality conditions, then applies the update', () => {
    const parsed = parseUpdate(typed({ $inc: { n: 1 } }), { clock: env.clock });
    const doc = buildUpsert(parsed, typed({ 'a.b': 1, c: { $eq: 2 }, d: { $gt: 3 }, $and: [{ e: 'x' }] }), env);
    const { _id, ...rest } = shown(doc) as Record<string, unknown>;
    expect(_id).toBeInstanceOf(ObjectId);
    expect(rest).toStrictEqual({ a: { b: i32(1) }, c: i32(2), e: 'x', n: i32(1) });
  });

  it('takes only _id from the query for a replacement', () => {
    const parsed = parseUpdate(typed({ z: 1 }), { clock: env.clock });
    expect(shown(buildUpsert(parsed, typed({ _id: 5, a: 1 }), env))).toStrictEqual({ _id: i32(5), z: i32(1) });
  });

  it('refuses conflicting equalities', () => {
    const parsed = parseUpdate(typed({ $set: { x: 1 } }), { clock: env.clock });
    expect(failure(() => buildUpsert(parsed, typed({ a: 1, 'a.b': 2 }), env)).message).toBe(
      "cannot infer query fields to set, both paths 'a.b' and 'a' are matched",
    );
  });
});

/**
 * Applies a change-stream updateDescription to a pre-image the way a replicating consumer does:
 * truncations, then removals, then updates; disambiguatedPaths says which components are array indexes.
 */
function replay(before: BsonDoc, descriptionDoc: BsonDoc): BsonDoc {
  const doc = decodeDocument(encodeDocument(before));
  const disambiguated = descriptionDoc.get('disambiguatedPaths') as BsonDoc;
  const partsOf = (path: string): (string | number)[] => {
    const listed = disambiguated.get(path);
    if (Array.isArray(listed)) return listed.map((part) => (part instanceof Int32 ? part.value : (part as string)));
    return path.split('.');
  };
  const containerOf = (parts: (string | number)[]): BsonValue => {
    let current: BsonValue = doc;
    for (const part of parts.slice(0, -1)) {
      let next: BsonValue | undefined = Array.isArray(current)
        ? current[Number(part)]
        : (current as BsonDoc).get(String(part));
      if (next === undefined) {
        next = new Map();
        if (Array.isArray(current)) current[Number(part)] = next;
        else (current as BsonDoc).set(String(part), next);
      }
      current = next;
    }
    return current;
  };
  for (const entry of descriptionDoc.get('truncatedArrays') as BsonDoc[]) {
    const parts = partsOf(entry.get('field') as string);
    const array = containerOf([...parts, '']) as BsonValue[];
    array.length = (entry.get('newSize') as Int32).value;
  }
  for (const path of descriptionDoc.get('removedFields') as string[]) {
    const parts = partsOf(path);
    (containerOf(parts) as BsonDoc).delete(String(parts[parts.length - 1]));
  }
  for (const [path, value] of descriptionDoc.get('updatedFields') as BsonDoc) {
    const parts = partsOf(path);
    const container = containerOf(parts);
    const last = parts[parts.length - 1];
    if (Array.isArray(container)) {
      while (container.length < Number(last)) container.push(null);
      container[Number(last)] = value;
    } else {
      (container as BsonDoc).set(String(last), value);
    }
  }
  return doc;
}

describe('replaying update descriptions', () => {
  const cases: [string, Record<string, EncodableValue>, Record<string, EncodableValue> | EncodableValue[], Options?][] =
    [
      [
        'nested set and unset',
        { _id: 1, a: { b: 1, c: 2 }, d: 1 },
        { $set: { 'a.b': 5, 'a.x.y': 1 }, $unset: { d: 1 } },
      ],
      ['appending pushes', { _id: 1, a: [1], b: [{ c: [] }] }, { $push: { a: { $each: [2, 3] }, 'b.0.c': 'x' } }],
      [
        'sorted push and pop',
        { _id: 1, a: [3, 1, 2], b: [1, 2] },
        { $push: { a: { $each: [0], $sort: 1 } }, $pop: { b: 1 } },
      ],
      [
        'addToSet, pull and pullAll',
        { _id: 1, a: [1], b: [1, 2, 1], c: [4, 5] },
        { $addToSet: { a: 2 }, $pull: { b: 1 }, $pullAll: { c: [4] } },
      ],
      ['padding past the end', { _id: 1, a: [1] }, { $set: { 'a.4.b': 1 } }],
      ['unset of array elements', { _id: 1, a: [1, 2, 3] }, { $unset: { 'a.1': 1 } }],
      ['rename', { _id: 1, a: { b: 1 }, c: 1 }, { $rename: { 'a.b': 'z.y', c: 'd' } }],
      ['$[] over several elements', { _id: 1, a: [{ n: 1 }, { n: 2 }] }, { $inc: { 'a.$[].n': 1 } }],
      [
        '$[<id>] over one element',
        { _id: 1, a: [{ n: 1 }, { n: 2 }] },
        { $set: { 'a.$[e].m': 1 } },
        { arrayFilters: [{ 'e.n': 2 }] },
      ],
      ['positional $', { _id: 1, a: [{ n: 1 }, { n: 2 }] }, { $set: { 'a.$.n': 9 } }, { filter: { 'a.n': 2 } }],
      [
        'numeric field names',
        { _id: 1, o: { '1': { '2': 1 } }, arr: [[1, 2]] },
        { $set: { 'o.1.2': 3, 'arr.0.1': 4 } },
      ],
      [
        'pipeline reshaping',
        { _id: 1, pad: 'p'.repeat(40), a: [1, 2, 3, 4], b: { c: 1, d: 2 } },
        [{ $set: { a: [1, 5], 'b.c': 3 } }, { $unset: 'b.d' }],
      ],
    ];

  it.each(cases)('rebuilds the post-image from the description: %s', (_name, before, u, options = {}) => {
    const spec = Array.isArray(u) ? (typed({ u }).get('u') as BsonValue[]) : typed(u);
    const parsed = parseUpdate(spec, { clock: env.clock, arrayFilters: options.arrayFilters?.map((f) => typed(f)) });
    const original = typed(before);
    const result = applyUpdate(parsed, original, env, { filter: options.filter && typed(options.filter) });
    expect(result.modified).toBe(true);
    expect(result.description).toBeDefined();
    expect(shown(replay(original, result.description as BsonDoc))).toStrictEqual(shown(result.doc));
  });
});

describe('oplog deltas', () => {
  // Expected deltas as mongod writes them (jstests/replsets/oplog_format.js).
  it.each([
    [
      { _id: 1, a: 2 },
      { $inc: { a: 1 }, $set: { b: 2 } },
      { u: { a: i32(3) }, i: { b: i32(2) } },
    ],
    [{ _id: 1, c: 0 }, { $inc: { a: 1 }, $set: { b: 2 } }, { i: { a: i32(1), b: i32(2) } }],
    [
      { _id: 1, a: { b: [1, 2], c: [1, 2] } },
      { $pull: { 'a.b': 2, 'a.c': 2 } },
      { sa: { u: { b: [i32(1)], c: [i32(1)] } } },
    ],
    [{ _id: 1, a: 1, b: 1 }, { $set: { a: 2, b: 2 } }, { u: { a: i32(2), b: i32(2) } }],
    [{ _id: 1, a: [2] }, { $inc: { 'a.0': 1 } }, { sa: { a: true, u0: i32(3) } }],
    [{ _id: 1, a: 'foo' }, { $push: { c: 18 } }, { i: { c: [i32(18)] } }],
    [
      { _id: 1, a: { b: [18] } },
      { $push: { 'a.b': { $each: [1, 2], $slice: -2 } } },
      { sa: { u: { b: [i32(1), i32(2)] } } },
    ],
    [
      { _id: 1, a: [{ b: 2 }, { b: 1 }] },
      { $push: { a: { $each: [{ b: -1 }], $slice: -2, $sort: { b: 1 } } } },
      { u: { a: [{ b: i32(1) }, { b: i32(2) }] } },
    ],
  ] as [Record<string, EncodableValue>, Record<string, EncodableValue>, unknown][])(
    'logs %j updated by %j as mongod does',
    (before, u, expected) => {
      expect(update(before, u).diff).toStrictEqual(expected);
    },
  );
});

describe('pipeline update descriptions', () => {
  // The expectations of mongod's jstests/change_streams/pipeline_style_updates.js.
  const large = '*'.repeat(512);
  const start = { _id: 100, a: 1, b: 2, obj: { a: 1, b: 2, str: large } };

  it('reports a $set, an $unset and a $replaceRoot as mongod does', () => {
    expect(update(start, [{ $set: { a: 2 } }]).description).toStrictEqual(description({ a: i32(2) }));
    expect(update(start, [{ $unset: ['a'] }]).description).toStrictEqual(description({}, ['a']));
    const replaced = update({ _id: 100, b: 2, obj: { a: 1, b: 2, str: large } }, [
      { $replaceRoot: { newRoot: { _id: 100, b: 2, obj: { a: 2, b: 2, str: large } } } },
    ]);
    expect(replaced.description).toStrictEqual(description({ 'obj.a': i32(2) }));
  });

  it('logs a pipeline update whose delta would outgrow the document as a replacement', () => {
    const result = update({ _id: 1, a: 1, b: 2 }, [{ $replaceWith: { _id: 1, x: 'a', y: 'b' } }]);
    expect(result.modified).toBe(true);
    expect(result.diff).toBeUndefined();
  });
});
