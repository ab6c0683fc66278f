import { Double, Int32, Long } from 'mongodb';
import { describe, expect, it } from 'vitest';
import type { OrderedDocument } from '../../engine/core/bson/ordered.js';
import { createCommand, kindOf } from '../../engine/core/catalog/collection-options.js';
import { CatalogBook } from '../../engine/core/catalog/book.js';
import {
  buildableOriginal,
  RELAXED_TTL_SECONDS,
  relaxIndex,
  restoreSteps,
} from '../../engine/core/catalog/relaxed-index.js';

function spec(...fields: [string, unknown][]): OrderedDocument {
  return new Map(fields);
}

const key = spec(['a', new Int32(1)]);

describe('relaxed indexes', () => {
  it('builds unique indexes non-unique, TTL indexes that never expire and hidden indexes visible', () => {
    const original = spec(
      ['v', new Int32(2)],
      ['key', key],
      ['name', 'a_1'],
      ['unique', true],
      ['expireAfterSeconds', new Int32(60)],
      ['hidden', true],
      ['sparse', true],
    );

    expect(relaxIndex(original)).toEqual(
      spec(
        ['v', new Int32(2)],
        ['key', key],
        ['name', 'a_1'],
        ['expireAfterSeconds', new Int32(RELAXED_TTL_SECONDS)],
        ['sparse', true],
      ),
    );
    expect(original.get('unique')).toBe(true);
  });

  it('drops prepareUnique, which would refuse duplicates while documents arrive out of order', () => {
    expect(relaxIndex(spec(['key', key], ['name', 'a_1'], ['prepareUnique', true])).has('prepareUnique')).toBe(false);
  });

  it('keeps the numeric type of a TTL', () => {
    expect(relaxIndex(spec(['expireAfterSeconds', new Long(5)])).get('expireAfterSeconds')).toEqual(
      Long.fromNumber(RELAXED_TTL_SECONDS),
    );
    expect(relaxIndex(spec(['expireAfterSeconds', new Double(5)])).get('expireAfterSeconds')).toEqual(
      new Double(RELAXED_TTL_SECONDS),
    );
  });

  it('asks for the simple collation where the collection default would otherwise be inherited', () => {
    const fr = spec(['locale', 'fr']);
    expect(relaxIndex(spec(['key', key], ['name', 'a_1']), fr).get('collation')).toEqual(spec(['locale', 'simple']));
    expect(relaxIndex(spec(['key', key], ['collation', fr]), fr).get('collation')).toBe(fr);
    expect(buildableOriginal(spec(['key', key], ['unique', true]), fr).get('unique')).toBe(true);
  });

  it('drops the ns field that servers before 4.4 report', () => {
    expect(relaxIndex(spec(['key', key], ['ns', 'db.c'])).has('ns')).toBe(false);
  });
});

describe('restoring indexes', () => {
  const name = 'a_1';

  it('makes an index unique through prepareUnique first', () => {
    const steps = restoreSteps(spec(['name', name], ['unique', true]), spec(['name', name]));
    expect(steps).toEqual([spec(['name', name], ['prepareUnique', true]), spec(['name', name], ['unique', true])]);
  });

  it('restores TTL and hidden, and does nothing when the target already matches', () => {
    const original = spec(['name', name], ['expireAfterSeconds', new Int32(60)], ['hidden', true]);
    expect(
      restoreSteps(original, spec(['name', name], ['expireAfterSeconds', new Int32(RELAXED_TTL_SECONDS)])),
    ).toEqual([spec(['name', name], ['expireAfterSeconds', new Int32(60)]), spec(['name', name], ['hidden', true])]);
    expect(
      restoreSteps(original, spec(['name', name], ['expireAfterSeconds', Long.fromNumber(60)], ['hidden', true])),
    ).toEqual([]);
  });

  it('puts back prepareUnique on an index that had it without being unique', () => {
    expect(restoreSteps(spec(['name', name], ['prepareUnique', true]), spec(['name', name]))).toEqual([
      spec(['name', name], ['prepareUnique', true]),
    ]);
  });
});

describe('the index book', () => {
  it('follows collMod changes of the source as the server applies them', () => {
    const book = new CatalogBook();
    book.setCollection('db.c', [spec(['key', key], ['name', 'a_1'], ['prepareUnique', true])]);

    book.modify('db.c', spec(['name', 'a_1'], ['unique', true]));
    book.modify('db.c', spec(['name', 'a_1'], ['hidden', true]));
    book.modify('db.c', spec(['keyPattern', key], ['expireAfterSeconds', new Long(9)]));
    book.modify('db.c', spec(['name', 'a_1'], ['hidden', false]));

    expect(book.specs('db.c')).toEqual([
      spec(['key', key], ['name', 'a_1'], ['unique', true], ['expireAfterSeconds', new Long(9)]),
    ]);
    expect(book.modify('db.c', spec(['name', 'unknown'], ['hidden', true]))).toBe(false);
  });

  it('moves specs on rename and forgets them on drop', () => {
    const book = new CatalogBook();
    book.setCollection('db.a', [spec(['name', 'x'])], { clusteredTtl: new Long(10), sourceUuid: 'uuid-a' });
    book.setCollection('db.b', [spec(['name', 'stale'])]);

    book.rename('db.a', 'db.b');
    book.setCollection('other.c', [spec(['name', 'y'])]);
    book.dropDatabase('other');

    expect(book.namespaces()).toEqual(['db.b']);
    expect(book.specs('db.b')).toEqual([spec(['name', 'x'])]);
    expect(book.clusteredTtl('db.b')).toEqual(new Long(10));
    expect(book.copiedFrom('db.b', 'uuid-a')).toBe(true);
    expect(book.copiedFrom('db.a', 'uuid-a')).toBe(false);
  });

  it('comes back from a checkpoint read as plain objects', () => {
    const book = new CatalogBook();
    book.load({ originalIndexes: { 'db.c': [{ key: { a: new Long(1) }, name: 'a_1', unique: true }] } });

    expect(book.specs('db.c')).toEqual([spec(['key', spec(['a', new Long(1)])], ['name', 'a_1'], ['unique', true])]);
  });
});

describe('collection options', () => {
  it('tells the kinds apart', () => {
    const entry = (type: string, options: OrderedDocument) => spec(['type', type], ['options', options]);
    expect(kindOf(entry('collection', spec(['capped', true])))).toBe('capped');
    expect(kindOf(entry('collection', spec(['clusteredIndex', spec()])))).toBe('clustered');
    expect(kindOf(entry('view', spec(['viewOn', 'c'])))).toBe('view');
    expect(kindOf(entry('view', spec(['viewOn', 'system.buckets.m'])))).toBe('timeseries');
    expect(kindOf(entry('timeseries', spec(['timeseries', spec()])))).toBe('timeseries');
    expect(kindOf(entry('collection', spec()))).toBe('collection');
  });

  it('passes every option to create, relaxing only a clustered collection’s TTL', () => {
    const options = spec(
      ['clusteredIndex', spec(['key', spec(['_id', new Int32(1)])], ['unique', true])],
      ['expireAfterSeconds', new Long(3600)],
      ['someFutureOption', 'kept'],
    );
    expect(createCommand('db.c', 'c', options)).toEqual({
      create: 'c',
      clusteredIndex: options.get('clusteredIndex'),
      expireAfterSeconds: Long.fromNumber(RELAXED_TTL_SECONDS),
      someFutureOption: 'kept',
    });
  });

  it('refuses time series collections with a remedy', () => {
    expect(() => createCommand('db.m', 'm', spec(['timeseries', spec(['timeField', 't'])]))).toThrow(
      expect.objectContaining({ code: 'TIMESERIES_UNSUPPORTED', remedy: expect.any(String) }),
    );
  });
});
