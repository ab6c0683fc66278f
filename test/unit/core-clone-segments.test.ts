import {
  Binary,
  BSONSymbol,
  Code,
  Decimal128,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  Timestamp,
} from 'mongodb';
import { describe, expect, it } from 'vitest';
import {
  AUTO_SEGMENT_MAX_BYTES,
  AUTO_SEGMENT_MIN_BYTES,
  bracketOf,
  equalitySegment,
  idBracketPipeline,
  idRanges,
  idRangesFromBounds,
  naturalSegment,
  rangeSegment,
  segmentFilter,
  segmentSizing,
  splitQuery,
  type IdRange,
  type Segment,
} from '../../engine/core/clone/segments.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const tuning = { segmentSizeBytes: 0, readWorkers: 2, readBatchSizeBytes: 16 * MiB };

describe('segment size', () => {
  it('gives a document count, not a byte count (PCSM-323)', () => {
    const sizing = segmentSizing(
      { count: 1_000_000, sizeBytes: 1000 * MiB, avgObjSize: 1000 },
      { ...tuning, segmentSizeBytes: 100 * MiB },
    );
    expect(sizing.documents).toBe(Math.floor((100 * MiB) / 1000));
    expect(sizing.estimatedSegments).toBe(10);
  });

  it('aims at four segments per reader, between 64 MiB and 1 GiB', () => {
    expect(segmentSizing({ count: 1000, sizeBytes: 8 * GiB, avgObjSize: 1024 }, tuning).bytes).toBe(GiB);
    expect(segmentSizing({ count: 1000, sizeBytes: 4 * GiB, avgObjSize: 1024 }, tuning).bytes).toBe(512 * MiB);
    expect(segmentSizing({ count: 1000, sizeBytes: 10 * MiB, avgObjSize: 1024 }, tuning).bytes).toBe(
      AUTO_SEGMENT_MIN_BYTES,
    );
    expect(segmentSizing({ count: 1000, sizeBytes: 1000 * GiB, avgObjSize: 1024 }, tuning).bytes).toBe(
      AUTO_SEGMENT_MAX_BYTES,
    );
  });

  it('keeps at least one document per segment, even for documents larger than a segment', () => {
    const sizing = segmentSizing(
      { count: 10, sizeBytes: 100 * MiB, avgObjSize: 10 * MiB },
      { ...tuning, segmentSizeBytes: MiB },
    );
    expect(sizing.documents).toBe(1);
    expect(sizing.batchDocuments).toBe(1);
  });

  it('never concludes from stale stats that a collection is empty', () => {
    const sizing = segmentSizing({ count: 0, sizeBytes: 0, avgObjSize: 0 }, tuning);
    expect(sizing.documents).toBeGreaterThan(0);
    expect(sizing.estimatedSegments).toBe(0);
  });

  it('derives the average size from size and count when the stats lack it', () => {
    const sizing = segmentSizing(
      { count: 1000, sizeBytes: 1000 * 2048, avgObjSize: 0 },
      { ...tuning, segmentSizeBytes: 2048 * 10 },
    );
    expect(sizing.documents).toBe(10);
  });

  it('sizes cursor batches to the read batch bytes', () => {
    expect(segmentSizing({ count: 1, sizeBytes: 512, avgObjSize: 512 }, tuning).batchDocuments).toBe(32768);
    expect(segmentSizing({ count: 1, sizeBytes: 16, avgObjSize: 16 }, tuning).batchDocuments).toBe(100_000);
  });
});

describe('_id type brackets', () => {
  it('puts every number type in one bracket, strings with symbols, and NaN apart', () => {
    expect([new Int32(1), new Long(1), new Double(1.5), Decimal128.fromString('2'), 3, 4n].map(bracketOf)).toEqual(
      Array(6).fill('number'),
    );
    expect([new Double(NaN), Decimal128.fromString('NaN'), NaN].map(bracketOf)).toEqual(['nan', 'nan', 'nan']);
    expect(['a', new BSONSymbol('s')].map(bracketOf)).toEqual(['string', 'string']);
  });

  it('knows the other types an _id can have', () => {
    const values = [
      new MinKey(),
      null,
      new Map([['a', 1]]),
      new Binary(Buffer.from('x')),
      new ObjectId(),
      true,
      new Date(0),
      new Timestamp({ t: 1, i: 1 }),
      new Code('x'),
      new Code('x', { y: 1 }),
      new MaxKey(),
    ];
    expect(values.map(bracketOf)).toEqual([
      'minKey',
      'null',
      'object',
      'binData',
      'objectId',
      'bool',
      'date',
      'timestamp',
      'javascript',
      'javascriptWithScope',
      'maxKey',
    ]);
  });

  it('refuses an _id type MongoDB does not allow', () => {
    expect(() => bracketOf([1, 2])).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_ID_TYPE' }));
    expect(() => idRanges([{ bracket: 'regex', min: null, max: null, count: 1 }])).toThrow(/regex/);
  });

  it('groups by bracket on the server, with NaN tested before the number types', () => {
    const [stage] = idBracketPipeline();
    const branches = stage.$group._id.$switch.branches;
    expect(branches[0]).toEqual({ case: { $eq: ['$_id', NaN] }, then: 'nan' });
    expect(branches[1].then).toBe('number');
    expect(stage.$group).toMatchObject({ min: { $min: '$_id' }, max: { $max: '$_id' }, count: { $sum: 1 } });
  });

  it('orders ranges as MongoDB sorts types, with equality segments for single-valued brackets', () => {
    const ranges = idRanges([
      {
        bracket: 'objectId',
        min: new ObjectId('000000000000000000000001'),
        max: new ObjectId('ffffffffffffffffffffffff'),
        count: 5,
      },
      { bracket: 'string', min: 'a', max: 'z', count: 3 },
      { bracket: 'number', min: new Int32(-5), max: new Double(9.5), count: 7 },
      { bracket: 'nan', min: NaN, max: NaN, count: 2 },
      { bracket: 'null', min: null, max: null, count: 1 },
      { bracket: 'maxKey', min: new MaxKey(), max: new MaxKey(), count: 1 },
      { bracket: 'minKey', min: new MinKey(), max: new MinKey(), count: 1 },
    ]);
    expect(ranges.map((range) => `${range.kind}:${range.bracket}`)).toEqual([
      'equality:minKey',
      'equality:null',
      'equality:nan',
      'range:number',
      'range:string',
      'range:objectId',
      'equality:maxKey',
    ]);
  });

  it('spares the server-side grouping when the lowest and highest _id share a bracket', () => {
    expect(idRangesFromBounds(new Int32(1), new Long(100), 100)).toEqual([
      { kind: 'range', bracket: 'number', min: new Int32(1), max: new Long(100), count: 100 },
    ]);
    expect(idRangesFromBounds(new Int32(1), 'z', 100)).toBeUndefined();
    // A NaN minimum means NaN documents exist: only the grouping sets them apart.
    expect(idRangesFromBounds(new Double(NaN), new Int32(5), 100)).toBeUndefined();
  });
});

describe('segments', () => {
  const numbers: Extract<IdRange, { kind: 'range' }> = {
    kind: 'range',
    bracket: 'number',
    min: 0,
    max: 99,
    count: 100,
  };

  it('has a stable id per namespace, bracket and position', () => {
    expect(rangeSegment('shop.orders', numbers, 3, 30, 40).id).toBe('shop.orders#number#3');
    expect(naturalSegment('logs.tail').id).toBe('logs.tail#natural#0');
  });

  it('reads [lower, upper) so a boundary document is read once, and the last segment up to max', () => {
    expect(segmentFilter(rangeSegment('shop.orders', numbers, 0, 0, 40))).toEqual({ _id: { $gte: 0, $lt: 40 } });
    expect(segmentFilter(rangeSegment('shop.orders', numbers, 2, 80))).toEqual({ _id: { $gte: 80, $lte: 99 } });
  });

  it('gives NaN, null, MinKey and MaxKey equality filters', () => {
    const [minKey, nullId, nan, maxKey] = idRanges([
      { bracket: 'minKey', min: null, max: null, count: 1 },
      { bracket: 'null', min: null, max: null, count: 1 },
      { bracket: 'nan', min: NaN, max: NaN, count: 1 },
      { bracket: 'maxKey', min: null, max: null, count: 1 },
    ]);
    const filters = [minKey, nullId, nan, maxKey].map((range) =>
      range.kind === 'equality' ? segmentFilter(equalitySegment('c.d', range)) : undefined,
    );
    expect(filters).toEqual([{ _id: new MinKey() }, { _id: null }, { _id: new Double(NaN) }, { _id: new MaxKey() }]);
  });

  it('finds the next split point by skipping a segment of documents from the lower bound', () => {
    expect(splitQuery(numbers, 40, 20)).toEqual({
      filter: { _id: { $gte: 40, $lte: 99 } },
      sort: { _id: 1 },
      skip: 20,
      limit: 1,
      projection: { _id: 1 },
    });
  });

  it('covers a range exactly once when split lazily, and resumes from recorded bounds', () => {
    // A stand-in collection of numeric _ids, queried the way the clone queries MongoDB.
    let ids = Array.from({ length: 95 }, (_, i) => i * 3 + 1);
    const range: Extract<IdRange, { kind: 'range' }> = {
      kind: 'range',
      bracket: 'number',
      min: 1,
      max: 283,
      count: 95,
    };
    const find = (segment: Segment | { filter: object }): number[] => {
      const { _id: bounds } = ('filter' in segment ? segment.filter : segmentFilter(segment)) as {
        _id: { $gte: number; $lt?: number; $lte?: number };
      };
      return ids.filter(
        (id) => id >= bounds.$gte && (bounds.$lt === undefined ? id <= (bounds.$lte ?? 0) : id < bounds.$lt),
      );
    };
    const plan = (segments: Segment[]): Segment[] => {
      let last = segments.at(-1);
      while (!last || last.bounds.kind !== 'range' || !last.bounds.upperInclusive) {
        const lower = last?.bounds.kind === 'range' ? last.bounds.upper : range.min;
        const query = splitQuery(range, lower, 10);
        last = rangeSegment('c.d', range, segments.length, lower, find(query)[query.skip]);
        segments.push(last);
      }
      return segments;
    };

    const segments = plan([]);
    expect(segments).toHaveLength(10);
    expect(segments.flatMap(find)).toEqual(ids);

    // A crash after four segments were planned; meanwhile documents come and go on the source.
    const recorded = structuredClone(segments.slice(0, 4));
    ids = [...ids.filter((id) => id % 2 === 0), 2, 3, 200, 201].sort((a, b) => a - b);
    const resumed = plan(recorded);
    expect(resumed.slice(0, 4)).toEqual(segments.slice(0, 4));
    expect(resumed.flatMap(find)).toEqual(ids);
  });

  it('reads a capped collection whole, in natural order', () => {
    expect(segmentFilter(naturalSegment('logs.tail'))).toEqual({});
  });
});
