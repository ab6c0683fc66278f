import { describe, expect, it } from 'vitest';
import { BSON, Binary, Decimal128, Double, Int32, Long, MongoServerError, ObjectId, Timestamp } from 'mongodb';
import {
  errorMismatch,
  exactMismatch,
  matchResult,
  matchValue,
  outcomeMismatch,
  type MatchEntities,
} from '../conformance/matcher.js';
import { RunnerError } from '../conformance/errors.js';
import type { ExpectedError } from '../conformance/types.js';

// Expected values come from test files parsed as canonical Extended JSON, so build them the same way.
const ejson = (text: string): unknown => BSON.EJSON.parse(text, { relaxed: false });
const ok = (expected: string, actual: unknown, root = false): void =>
  expect(matchValue(ejson(expected), actual, { root })).toBeNull();
const bad = (expected: string, actual: unknown, root = false): void =>
  expect(matchValue(ejson(expected), actual, { root })).toEqual(expect.any(String));

const entities: MatchEntities = {
  value: (name) => {
    if (name === 'savedId') return new ObjectId('0123456789abcdef01234567');
    throw new RunnerError(`no entity ${name}`);
  },
  sessionLsid: (name) => {
    if (name === 'session0') return { id: new Binary(Buffer.alloc(16, 1), 4) };
    throw new RunnerError(`no session ${name}`);
  },
};

describe('numeric leniency', () => {
  it('int matches long and double of the same value', () => {
    ok('1', Long.fromNumber(1));
    ok('1', new Double(1));
    ok('1', 1);
    ok('{"$numberLong": "1"}', new Int32(1));
    ok('{"$numberDouble": "1.0"}', Long.fromNumber(1));
  });
  it('different values do not match', () => {
    bad('1', new Double(1.5));
    bad('{"$numberLong": "2"}', 1);
    bad('1', '1');
  });
  it('compares large longs exactly', () => {
    ok('{"$numberLong": "9007199254740993"}', Long.fromString('9007199254740993'));
    bad('{"$numberLong": "9007199254740993"}', Long.fromString('9007199254740992'));
  });
  it('does not treat decimal as a flexible number', () => {
    bad('1', Decimal128.fromString('1'));
    ok('{"$numberDecimal": "1.5"}', Decimal128.fromString('1.5'));
  });
});

describe('documents', () => {
  it('allows extra fields only at the root', () => {
    ok('{"x": 1}', { x: 1, y: 2 }, true);
    bad('{"x": 1}', { x: 1, y: 2 }, false);
    bad('{"x": {"y": 1}}', { x: { y: 1, z: 1 } }, true);
  });
  it('requires every expected field', () => {
    bad('{"x": 1, "y": 1}', { x: 1 }, true);
  });
  it('ignores key order', () => {
    ok('{"x": 1, "y": 2}', { y: 2, x: 1 });
  });
  it('requires arrays of equal length', () => {
    ok('[1, 2, 3]', [1, 2, 3]);
    bad('[1, 2, 3]', [1, 2, 3, 4]);
    bad('[1, 2, 3]', [1, 2]);
  });
  it('treats elements of cursor results as root documents, distinct values not', () => {
    const expected = ejson('[{"x": 1}, {"x": 2}]');
    const actual = [
      { x: 1, y: 1 },
      { x: 2, y: 2 },
    ];
    expect(matchResult(expected, actual, 'rootElements')).toBeNull();
    expect(matchResult(expected, actual, 'value')).toEqual(expect.any(String));
  });
  it('names the path of the first mismatch', () => {
    expect(matchValue(ejson('{"a": {"b": [1, 2]}}'), { a: { b: [1, 3] } })).toContain('$.a.b[1]');
  });
  it('compares other BSON types by value', () => {
    ok('{"$oid": "0123456789abcdef01234567"}', new ObjectId('0123456789abcdef01234567'));
    ok('{"$date": {"$numberLong": "1000"}}', new Date(1000));
    ok('{"$timestamp": {"t": 1, "i": 2}}', new Timestamp({ t: 1, i: 2 }));
    bad('{"$timestamp": {"t": 1, "i": 2}}', new Timestamp({ t: 1, i: 3 }));
    ok('{"$binary": {"base64": "AQI=", "subType": "00"}}', new Binary(Buffer.from([1, 2])));
    ok('null', null);
    bad('null', undefined);
  });
});

describe('$$exists', () => {
  it('checks presence and absence of a key', () => {
    ok('{"x": {"$$exists": true}}', { x: null });
    bad('{"x": {"$$exists": true}}', {});
    ok('{"x": {"$$exists": false}}', {});
    bad('{"x": {"$$exists": false}}', { x: 1 });
  });
  it('treats an undefined property as absent', () => {
    ok('{"x": {"$$exists": false}}', { x: undefined });
  });
});

describe('$$type', () => {
  it('checks a single type or a list of types', () => {
    ok('{"x": {"$$type": "int"}}', { x: new Int32(1) });
    bad('{"x": {"$$type": "long"}}', { x: new Int32(1) });
    ok('{"x": {"$$type": ["int", "long"]}}', { x: Long.fromNumber(1) });
    ok('{"x": {"$$type": "double"}}', { x: new Double(1) });
    ok('{"x": {"$$type": "object"}}', { x: { a: 1 } });
    bad('{"x": {"$$type": "object"}}', { x: [1] });
    ok('{"x": {"$$type": "array"}}', { x: [1] });
    ok('{"x": {"$$type": "string"}}', { x: 'a' });
    ok('{"x": {"$$type": "objectId"}}', { x: new ObjectId() });
    ok('{"x": {"$$type": "timestamp"}}', { x: new Timestamp({ t: 1, i: 1 }) });
    bad('{"x": {"$$type": "long"}}', { x: new Timestamp({ t: 1, i: 1 }) });
    ok('{"x": {"$$type": "date"}}', { x: new Date() });
    ok('{"x": {"$$type": "binData"}}', { x: new Binary(Buffer.from('a')) });
    ok('{"x": {"$$type": "bool"}}', { x: false });
    ok('{"x": {"$$type": "null"}}', { x: null });
    ok('{"x": {"$$type": "number"}}', { x: new Double(2.5) });
  });
  it('fails on an absent value', () => {
    bad('{"x": {"$$type": "int"}}', {});
  });
  it('does not look into array elements', () => {
    bad('{"x": {"$$type": "int"}}', { x: [new Int32(1)] });
  });
  it('rejects unknown type names as a runner error', () => {
    expect(() => matchValue(ejson('{"$$type": "integer"}'), 1)).toThrow(RunnerError);
  });
});

describe('$$unsetOrMatches', () => {
  it('accepts an absent value or a matching one', () => {
    ok('{"x": {"$$unsetOrMatches": 1}}', {});
    ok('{"x": {"$$unsetOrMatches": 1}}', { x: 1 });
    bad('{"x": {"$$unsetOrMatches": 1}}', { x: 2 });
  });
  it('keeps the root-level status of the document it wraps', () => {
    ok('{"$$unsetOrMatches": {"insertedId": 1}}', { insertedId: 1, acknowledged: true }, true);
    ok('{"$$unsetOrMatches": {"insertedId": 1}}', undefined, true);
    bad('{"a": {"$$unsetOrMatches": {"b": 1}}}', { a: { b: 1, c: 2 } }, true);
  });
  it('may contain other operators', () => {
    ok('{"x": {"$$unsetOrMatches": {"$$exists": true}}}', { x: 1 });
    ok('{"x": {"$$unsetOrMatches": {"$$type": "int"}}}', {});
  });
});

describe('$$matchesEntity', () => {
  it('matches the saved entity value', () => {
    const expected = ejson('{"_id": {"$$matchesEntity": "savedId"}}');
    expect(matchValue(expected, { _id: new ObjectId('0123456789abcdef01234567') }, { entities })).toBeNull();
    expect(matchValue(expected, { _id: new ObjectId() }, { entities })).toEqual(expect.any(String));
  });
  it('raises for an unknown entity', () => {
    expect(() => matchValue(ejson('{"$$matchesEntity": "nope"}'), 1, { entities })).toThrow(RunnerError);
  });
});

describe('$$matchesHexBytes', () => {
  it('compares bytes case-insensitively', () => {
    ok('{"$$matchesHexBytes": "12AB"}', Buffer.from([0x12, 0xab]));
    ok('{"$$matchesHexBytes": ""}', Buffer.alloc(0));
    bad('{"$$matchesHexBytes": "12ab"}', Buffer.from([0x12]));
  });
  it('rejects malformed hex', () => {
    expect(() => matchValue(ejson('{"$$matchesHexBytes": "123"}'), Buffer.alloc(0))).toThrow(RunnerError);
  });
});

describe('$$sessionLsid', () => {
  it("matches the session's lsid exactly", () => {
    const expected = ejson('{"lsid": {"$$sessionLsid": "session0"}}');
    expect(matchValue(expected, { lsid: { id: new Binary(Buffer.alloc(16, 1), 4) } }, { entities })).toBeNull();
    expect(matchValue(expected, { lsid: { id: new Binary(Buffer.alloc(16, 2), 4) } }, { entities })).toEqual(
      expect.any(String),
    );
  });
});

describe('$$lte', () => {
  it('applies flexible numeric comparison', () => {
    ok('{"$$lte": 1}', new Double(1.0));
    ok('{"$$lte": 1}', 0);
    bad('{"$$lte": 1}', 1.1);
    bad('{"$$lte": 1}', 'a');
  });
});

describe('$$placeholder and unknown operators', () => {
  it('are runner errors', () => {
    expect(() => matchValue(ejson('{"$$placeholder": 1}'), 1)).toThrow(RunnerError);
    expect(() => matchValue(ejson('{"$$bogus": 1}'), 1)).toThrow(RunnerError);
  });
});

describe('$$matchAsDocument / $$matchAsRoot', () => {
  it('parses Extended JSON strings and matches non-root unless asked', () => {
    ok('{"$$matchAsDocument": {"a": 1}}', '{"a": 1}');
    bad('{"$$matchAsDocument": {"a": 1}}', '{"a": 1, "b": 2}');
    ok('{"$$matchAsDocument": {"$$matchAsRoot": {"a": 1}}}', '{"a": 1, "b": 2}');
  });
});

describe('outcome comparison', () => {
  it('is exact: no extra fields, even at the top level', () => {
    expect(exactMismatch(ejson('{"_id": 1, "x": 1}'), { _id: 1, x: 1, y: 1 })).toEqual(expect.any(String));
    expect(exactMismatch(ejson('{"_id": 1}'), { _id: new Double(1) })).toBeNull();
  });
  it('reports missing and unexpected documents', () => {
    const expected = ejson('[{"_id": 1}, {"_id": 2}]') as Record<string, unknown>[];
    expect(outcomeMismatch(expected, [{ _id: 1 }, { _id: 2 }], 'db.c')).toBeNull();
    expect(outcomeMismatch(expected, [{ _id: 1 }], 'db.c')).toContain('missing');
    expect(outcomeMismatch(expected, [{ _id: 1 }, { _id: 2 }, { _id: 3 }], 'db.c')).toContain('unexpected');
  });
  it('does not interpret special operators', () => {
    expect(exactMismatch(ejson('{"x": {"$$exists": true}}'), { x: 1 })).toEqual(expect.any(String));
  });
});

describe('expectError', () => {
  const base: ExpectedError = { hasExpectResult: false };
  const serverError = new MongoServerError({ ok: 0, code: 11000, codeName: 'DuplicateKey', errmsg: 'E11000 dup key' });
  it('distinguishes server and client errors', () => {
    expect(errorMismatch({ ...base, isClientError: false }, serverError)).toBeNull();
    expect(errorMismatch({ ...base, isClientError: true }, serverError)).toEqual(expect.any(String));
  });
  it('checks code, codeName and message', () => {
    expect(errorMismatch({ ...base, errorCode: 11000, errorCodeName: 'duplicatekey' }, serverError)).toBeNull();
    expect(errorMismatch({ ...base, errorContains: 'DUP KEY' }, serverError)).toBeNull();
    expect(errorMismatch({ ...base, errorCode: 8 }, serverError)).toEqual(expect.any(String));
  });
  it('matches errorResponse as a root document', () => {
    expect(errorMismatch({ ...base, errorResponse: { code: new Int32(11000) } }, serverError)).toBeNull();
  });
  it('rejects errors that are not driver errors', () => {
    expect(errorMismatch({ ...base, isError: true }, new TypeError('boom'))).toEqual(expect.any(String));
  });
});
