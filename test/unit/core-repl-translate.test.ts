import { BSON, Int32, ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import type { OrderedDocument } from '../../engine/core/bson/ordered.js';
import { routeKey } from '../../engine/core/repl/route.js';
import { FOLLOW_UP_MAX_BYTES, FOLLOW_UP_MAX_FIELDS } from '../../engine/core/repl/translate-update.js';
import { isDataChange, translateEvent, type WriteOp } from '../../engine/core/repl/translate.js';

/** An OrderedDocument from [name, value] pairs, so integer-like names keep their place. */
function m(...entries: [string, unknown][]): OrderedDocument {
  return new Map(entries);
}

const id = new ObjectId('65a1b2c3d4e5f60718293a4b');
const key = m(['_id', id]);
const ns = m(['db', 'shop'], ['coll', 'orders']);

function updateEvent(description: {
  updatedFields?: OrderedDocument;
  removedFields?: string[];
  truncatedArrays?: { field: string; newSize: number }[];
  disambiguatedPaths?: OrderedDocument;
}): OrderedDocument {
  const updateDescription = m(
    ['updatedFields', description.updatedFields ?? m()],
    ['removedFields', description.removedFields ?? []],
    [
      'truncatedArrays',
      (description.truncatedArrays ?? []).map((t) => m(['field', t.field], ['newSize', new Int32(t.newSize)])),
    ],
  );
  if (description.disambiguatedPaths) updateDescription.set('disambiguatedPaths', description.disambiguatedPaths);
  return m(['operationType', 'update'], ['ns', ns], ['documentKey', key], ['updateDescription', updateDescription]);
}

/** The update documents of a translation, as plain JSON-like objects for readable expectations. */
function updates(ops: WriteOp[]): unknown[] {
  return ops.map((op) => {
    expect(op).toMatchObject({ kind: 'updateOne', filter: key });
    return op.kind === 'updateOne' ? plain(op.update) : undefined;
  });
}

function plain(value: unknown): unknown {
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [k, plain(v)]));
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Int32) return value.value;
  return value;
}

describe('translating inserts, replaces and deletes', () => {
  const fullDocument = m(['_id', id], ['total', new Int32(5)]);

  it('replays an insert as an upserting replace, so a replay after a crash is harmless', () => {
    const event = m(['operationType', 'insert'], ['ns', ns], ['documentKey', key], ['fullDocument', fullDocument]);
    expect(translateEvent(event)).toEqual({
      db: 'shop',
      coll: 'orders',
      ops: [{ kind: 'replaceOne', filter: key, replacement: fullDocument, upsert: true }],
    });
  });

  it('replays a replace with upsert too, so a document missing on the target is not lost', () => {
    const event = m(['operationType', 'replace'], ['ns', ns], ['documentKey', key], ['fullDocument', fullDocument]);
    expect(translateEvent(event).ops).toEqual([
      { kind: 'replaceOne', filter: key, replacement: fullDocument, upsert: true },
    ]);
  });

  it('filters on the whole documentKey, shard key included', () => {
    const shardedKey = m(['region', 'eu'], ['_id', id]);
    const event = m(['operationType', 'delete'], ['ns', ns], ['documentKey', shardedKey]);
    expect(translateEvent(event).ops).toEqual([{ kind: 'deleteOne', filter: shardedKey }]);
  });

  it('tells data changes from DDL, and refuses to translate DDL', () => {
    const drop = m(['operationType', 'drop'], ['ns', ns]);
    expect(isDataChange(drop)).toBe(false);
    expect(isDataChange(m(['operationType', 'update']))).toBe(true);
    expect(() => translateEvent(m(['operationType', 'drop'], ['ns', ns], ['documentKey', key]))).toThrow(
      /drop is not a data change event/,
    );
  });

  it('reports a malformed event with a FerryError', () => {
    const event = m(['operationType', 'insert'], ['ns', ns], ['documentKey', key]);
    expect(() => translateEvent(event)).toThrow(expect.objectContaining({ code: 'MALFORMED_EVENT' }));
  });
});

describe('translating updates', () => {
  it('sets updated fields and unsets removed ones in one update', () => {
    const event = updateEvent({
      updatedFields: m(['status', 'paid'], ['lines.2.qty', new Int32(3)]),
      removedFields: ['draft'],
    });
    expect(updates(translateEvent(event).ops)).toEqual([
      { $set: { status: 'paid', 'lines.2.qty': 3 }, $unset: { draft: '' } },
    ]);
  });

  it('writes nothing for an update that changed nothing', () => {
    expect(translateEvent(updateEvent({})).ops).toEqual([]);
  });

  it('replays an update whose array was truncated', () => {
    const event = updateEvent({ truncatedArrays: [{ field: 'items', newSize: 2 }], updatedFields: m(['note', 'x']) });
    expect(updates(translateEvent(event).ops)).toEqual([
      { $push: { items: { $each: [], $slice: 2 } }, $set: { note: 'x' } },
    ]);
  });

  it('moves updates under a truncated array into a follow-up update, applied after the truncation', () => {
    // The spec's example: ["foo", {a: "bar"}, 1, 2, 3] became ["foo", {a: "bar", b: 3}].
    const event = updateEvent({
      truncatedArrays: [{ field: 'arrayField', newSize: 2 }],
      updatedFields: m(['arrayField.1.b', new Int32(3)], ['other', true]),
      removedFields: ['arrayField.0.gone', 'elsewhere'],
    });
    expect(updates(translateEvent(event).ops)).toEqual([
      { $push: { arrayField: { $each: [], $slice: 2 } }, $set: { other: true }, $unset: { elsewhere: '' } },
      { $set: { 'arrayField.1.b': 3 }, $unset: { 'arrayField.0.gone': '' } },
    ]);
  });

  it('does not mistake a sibling with a common prefix for a conflict', () => {
    const event = updateEvent({
      truncatedArrays: [{ field: 'tags', newSize: 1 }],
      updatedFields: m(['tagsCount', new Int32(1)]),
    });
    expect(translateEvent(event).ops).toHaveLength(1);
  });

  it('splits a path and its parent, and equal paths, into successive updates', () => {
    const event = updateEvent({
      updatedFields: m(['a', m(['b', new Int32(1)])], ['a.b.c', new Int32(2)], ['x.y', new Int32(3)]),
      removedFields: ['a.b.c', 'x'],
    });
    expect(updates(translateEvent(event).ops)).toEqual([
      { $set: { a: { b: 1 }, 'x.y': 3 } },
      { $set: { 'a.b.c': 2 }, $unset: { x: '' } },
      { $unset: { 'a.b.c': '' } },
    ]);
  });

  it('handles nested truncated arrays, outer before inner', () => {
    const event = updateEvent({
      truncatedArrays: [
        { field: 'grid', newSize: 2 },
        { field: 'grid.1', newSize: 1 },
      ],
    });
    expect(updates(translateEvent(event).ops)).toEqual([
      { $push: { grid: { $each: [], $slice: 2 } } },
      { $push: { 'grid.1': { $each: [], $slice: 1 } } },
    ]);
  });

  it(`keeps follow-ups to at most ${FOLLOW_UP_MAX_FIELDS} fields`, () => {
    const fields = Array.from({ length: 250 }, (_, i): [string, unknown] => [`list.${i}.v`, new Int32(i)]);
    const event = updateEvent({ truncatedArrays: [{ field: 'list', newSize: 250 }], updatedFields: m(...fields) });
    const ops = translateEvent(event).ops;
    const sizes = updates(ops).map((update) => Object.keys((update as { $set?: object }).$set ?? {}).length);
    expect(sizes).toEqual([0, 100, 100, 50]);
    // Every field is written exactly once, in the event's order.
    const written = ops.flatMap((op) =>
      op.kind === 'updateOne' ? [...((op.update.get('$set') as OrderedDocument | undefined)?.keys() ?? [])] : [],
    );
    expect(written).toEqual(fields.map(([path]) => path));
  });

  it('keeps follow-ups to about 512 KiB, and gives a larger value an update of its own', () => {
    const big = 'x'.repeat(200 * 1024);
    const huge = 'y'.repeat(FOLLOW_UP_MAX_BYTES + 1);
    const event = updateEvent({
      truncatedArrays: [{ field: 'docs', newSize: 5 }],
      updatedFields: m(
        ['docs.0.body', big],
        ['docs.1.body', big],
        ['docs.2.body', big],
        ['docs.3.body', huge],
        ['docs.4.body', 'small'],
      ),
    });
    const ops = translateEvent(event).ops;
    const followUps = ops
      .slice(1)
      .map((op) => (op.kind === 'updateOne' ? [...(op.update.get('$set') as OrderedDocument).keys()] : []));
    expect(followUps).toEqual([['docs.0.body', 'docs.1.body', 'docs.4.body'], ['docs.2.body'], ['docs.3.body']]);
    for (const op of ops.slice(1, 3)) {
      expect(op.kind === 'updateOne' && BSON.calculateObjectSize(op.update)).toBeLessThanOrEqual(
        FOLLOW_UP_MAX_BYTES + 64,
      );
    }
  });
});

describe('field names a dotted path cannot address', () => {
  it('refetches the document when a field name contains a dot', () => {
    const event = updateEvent({
      updatedFields: m(['meta.a.b', new Int32(1)]),
      disambiguatedPaths: m(['meta.a.b', ['meta', 'a.b']]),
    });
    expect(translateEvent(event).ops).toEqual([{ kind: 'refetch', documentKey: key }]);
  });

  it('refetches when a removed or truncated field name contains a dot', () => {
    const removed = updateEvent({ removedFields: ['x.y'], disambiguatedPaths: m(['x.y', ['x.y']]) });
    expect(translateEvent(removed).ops).toEqual([{ kind: 'refetch', documentKey: key }]);
    const truncated = updateEvent({
      truncatedArrays: [{ field: 'p.q', newSize: 0 }],
      disambiguatedPaths: m(['p.q', ['p.q']]),
    });
    expect(translateEvent(truncated).ops).toEqual([{ kind: 'refetch', documentKey: key }]);
  });

  it('refetches when a field name starts with a dollar or is empty', () => {
    expect(translateEvent(updateEvent({ updatedFields: m(['$price', new Int32(1)]) })).ops[0].kind).toBe('refetch');
    expect(translateEvent(updateEvent({ updatedFields: m(['a.$b', new Int32(1)]) })).ops[0].kind).toBe('refetch');
    expect(translateEvent(updateEvent({ removedFields: ['a..b'] })).ops[0].kind).toBe('refetch');
  });

  it('writes a numeric field name of a document as the same dotted path', () => {
    // {a: {"0": 0}} after {$inc: {"a.0": 1}}: the target's a is a document too, so a.0 is field "0".
    const event = updateEvent({
      updatedFields: m(['a.0', new Int32(1)]),
      disambiguatedPaths: m(['a.0', ['a', '0']]),
    });
    expect(updates(translateEvent(event).ops)).toEqual([{ $set: { 'a.0': 1 } }]);
  });

  it('writes an array index the same way', () => {
    const event = updateEvent({
      updatedFields: m(['a.0.1', new Int32(1)]),
      disambiguatedPaths: m(['a.0.1', ['a', new Int32(0), '1']]),
    });
    expect(updates(translateEvent(event).ops)).toEqual([{ $set: { 'a.0.1': 1 } }]);
  });

  it('sees a conflict between a numeric field name and its parent', () => {
    const event = updateEvent({
      truncatedArrays: [{ field: 'a', newSize: 1 }],
      updatedFields: m(['a.0', new Int32(7)]),
      disambiguatedPaths: m(['a.0', ['a', new Int32(0)]]),
    });
    expect(updates(translateEvent(event).ops)).toEqual([
      { $push: { a: { $each: [], $slice: 1 } } },
      { $set: { 'a.0': 7 } },
    ]);
  });
});

describe('routing events to appliers', () => {
  const keyBytes = (value: unknown): Uint8Array => BSON.serialize(m(['_id', value]));

  it('is FNV-1a over the documentKey bytes', () => {
    // Published FNV-1a 32-bit test vectors, with an empty namespace and the full hash range.
    expect(routeKey('', Buffer.from('a'), 2 ** 32)).toBe(0xe40c292c);
    expect(routeKey('', Buffer.from('foobar'), 2 ** 32)).toBe(0xbf9cf968);
  });

  it('sends the same document to the same applier every time', () => {
    const bytes = keyBytes(new ObjectId('65a1b2c3d4e5f60718293a4b'));
    const first = routeKey('shop.orders', bytes, 8);
    expect(routeKey('shop.orders', Buffer.from(bytes), 8)).toBe(first);
    expect(first).toBeGreaterThanOrEqual(0);
    expect(first).toBeLessThan(8);
  });

  it('spreads documents over all appliers', () => {
    const counts = new Array<number>(4).fill(0);
    for (let i = 0; i < 4000; i++) counts[routeKey('shop.orders', keyBytes(new Int32(i)), 4)]++;
    for (const count of counts) expect(count).toBeGreaterThan(800);
  });

  it('sends every event of a capped collection to one applier, to keep insertion order', () => {
    const workers = new Set<number>();
    for (let i = 0; i < 100; i++) workers.add(routeKey('logs.tail', keyBytes(new Int32(i)), 8, true));
    expect(workers.size).toBe(1);
  });
});
