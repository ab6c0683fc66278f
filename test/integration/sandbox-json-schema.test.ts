// $jsonSchema in query filters and in collection validators, through the official driver, as mongod 8.0
// answers (set FERRY_TEST_SOURCE_URI to run the same tests against a real replica set).
import { Decimal128, Double, Int32, Long, MongoClient, type Collection, type Db, type Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverUnderTest, uniqueDbName, type ServerUnderTest } from '../support/server-under-test.js';
import { serverError } from '../support/server-error.js';

let server: ServerUnderTest;
let client: MongoClient;
let db: Db;
let counter = 0;

beforeAll(async () => {
  server = await serverUnderTest();
  client = await new MongoClient(server.uri).connect();
  db = client.db(uniqueDbName('json_schema'));
});

afterAll(async () => {
  await db?.dropDatabase();
  await client?.close();
  await server?.stop();
});

type Row = { _id: number; [field: string]: unknown };

/** A fresh collection holding `rows`, so tests never see each other's documents. */
async function collectionOf(rows: Row[]): Promise<Collection<Row>> {
  const collection = db.collection<Row>(`c${++counter}`);
  if (rows.length > 0) await collection.insertMany(rows);
  return collection;
}

async function matchingIds(collection: Collection<Row>, filter: Document): Promise<number[]> {
  const rows = await collection.find(filter, { sort: { _id: 1 } }).toArray();
  return rows.map((row) => row._id);
}

describe('$jsonSchema in find', () => {
  it('tells int, long, double and decimal apart with bsonType, and takes "number" for all four', async () => {
    const numbers = await collectionOf([
      { _id: 1, n: new Int32(1) },
      { _id: 2, n: Long.fromNumber(1) },
      { _id: 3, n: new Double(1) },
      { _id: 4, n: Decimal128.fromString('1') },
      { _id: 5, n: '1' },
    ]);
    const withType = (bsonType: unknown) => ({ $jsonSchema: { required: ['n'], properties: { n: { bsonType } } } });
    expect(await matchingIds(numbers, withType('int'))).toEqual([1]);
    expect(await matchingIds(numbers, withType('long'))).toEqual([2]);
    expect(await matchingIds(numbers, withType('double'))).toEqual([3]);
    expect(await matchingIds(numbers, withType('decimal'))).toEqual([4]);
    expect(await matchingIds(numbers, withType('number'))).toEqual([1, 2, 3, 4]);
    expect(await matchingIds(numbers, withType(['long', 'string']))).toEqual([2, 5]);
    expect(await matchingIds(numbers, { $jsonSchema: { properties: { n: { type: 'number' } } } })).toEqual([
      1, 2, 3, 4,
    ]);
  });

  it('combines with the other conditions of the filter, also under $or', async () => {
    const rows = await collectionOf([
      { _id: 1, kind: 'a', n: 5 },
      { _id: 2, kind: 'b', n: 5 },
      { _id: 3, kind: 'a', n: 'x' },
    ]);
    const numeric = { $jsonSchema: { properties: { n: { bsonType: 'int' } } } };
    expect(await matchingIds(rows, { ...numeric, kind: 'a' })).toEqual([1]);
    expect(await matchingIds(rows, { $or: [numeric, { kind: 'b' }] })).toEqual([1, 2]);
    expect(await matchingIds(rows, { $nor: [numeric] })).toEqual([3]);
    expect(await rows.countDocuments(numeric)).toBe(2);
  });

  it('checks required, properties, additionalProperties and patternProperties of documents', async () => {
    const rows = await collectionOf([
      { _id: 1, name: 'a' },
      { _id: 2, name: 'b', extra: true },
      { _id: 3, name: 'c', x_count: 3 },
      { _id: 4, name: 'd', x_count: 'three' },
      { _id: 5 },
      { _id: 6, name: 7 },
      { _id: 7, name: 'e', address: { city: 'Paris' } },
      { _id: 8, name: 'f', address: { city: 1 } },
    ]);
    const schema = {
      required: ['_id', 'name'],
      properties: {
        _id: {},
        name: { bsonType: 'string' },
        address: { bsonType: 'object', required: ['city'], properties: { city: { bsonType: 'string' } } },
      },
      patternProperties: { '^x_': { bsonType: 'int' } },
      additionalProperties: false,
    };
    expect(await matchingIds(rows, { $jsonSchema: schema })).toEqual([1, 3, 7]);
    expect(await matchingIds(rows, { $jsonSchema: { minProperties: 3 } })).toEqual([2, 3, 4, 7, 8]);
    expect(await matchingIds(rows, { $jsonSchema: { maxProperties: 1 } })).toEqual([5]);
    expect(await matchingIds(rows, { $jsonSchema: { additionalProperties: { bsonType: ['int', 'string'] } } })).toEqual(
      [1, 3, 4, 5, 6],
    );
  });

  it('applies number and string keywords only to numbers and strings', async () => {
    const rows = await collectionOf([
      { _id: 1, v: 0.3 },
      { _id: 2, v: 10 },
      { _id: 3, v: Long.fromNumber(7) },
      { _id: 4, v: 'héllo' },
      { _id: 5, v: 'hello world' },
      { _id: 6, v: [1, 2] },
    ]);
    const on = (schema: Document) => ({ $jsonSchema: { properties: { v: schema } } });
    expect(await matchingIds(rows, on({ minimum: 1 }))).toEqual([2, 3, 4, 5, 6]);
    expect(await matchingIds(rows, on({ maximum: 10, exclusiveMaximum: true }))).toEqual([1, 3, 4, 5, 6]);
    // Decimal arithmetic, as in mongod: 0.3 and 7 are multiples of 0.1, though 0.3 % 0.1 is not 0 in doubles.
    expect(await matchingIds(rows, on({ multipleOf: 0.1 }))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await matchingIds(rows, on({ multipleOf: 0.2 }))).toEqual([2, 3, 4, 5, 6]);
    expect(await matchingIds(rows, on({ multipleOf: 2 }))).toEqual([2, 4, 5, 6]);
    expect(await matchingIds(rows, on({ maxLength: 5 }))).toEqual([1, 2, 3, 4, 6]);
    expect(await matchingIds(rows, on({ pattern: '^h.llo$' }))).toEqual([1, 2, 3, 4, 6]);
  });

  it('checks array items, positional items, additionalItems, length and uniqueness', async () => {
    const rows = await collectionOf([
      { _id: 1, a: [1, 2, 3] },
      { _id: 2, a: [1, 'two'] },
      { _id: 3, a: [] },
      {
        _id: 4,
        a: [
          { x: 1, y: 2 },
          { y: 2, x: 1 },
        ],
      },
      { _id: 5, a: 'not an array' },
    ]);
    const on = (schema: Document) => ({ $jsonSchema: { properties: { a: schema } } });
    expect(await matchingIds(rows, on({ items: { bsonType: 'int' } }))).toEqual([1, 3, 5]);
    expect(await matchingIds(rows, on({ items: [{ bsonType: 'int' }], additionalItems: false }))).toEqual([3, 5]);
    expect(await matchingIds(rows, on({ items: [{}, { bsonType: 'string' }] }))).toEqual([2, 3, 5]);
    expect(await matchingIds(rows, on({ minItems: 2, maxItems: 2 }))).toEqual([2, 4, 5]);
    expect(await matchingIds(rows, on({ uniqueItems: true }))).toEqual([1, 2, 3, 5]);
  });

  it('evaluates enum, allOf, anyOf, oneOf, not and dependencies', async () => {
    const rows = await collectionOf([
      { _id: 1, s: 'red', card: 1, billing: 'x' },
      { _id: 2, s: 'blue', card: 1 },
      { _id: 3, s: { r: 1, g: 2 } },
      { _id: 4, s: 2 },
    ]);
    const on = (schema: Document) => ({ $jsonSchema: { properties: { s: schema } } });
    expect(await matchingIds(rows, on({ enum: ['red', { g: 2, r: 1 }, Long.fromNumber(2)] }))).toEqual([1, 3, 4]);
    expect(await matchingIds(rows, on({ anyOf: [{ bsonType: 'object' }, { enum: ['blue'] }] }))).toEqual([2, 3]);
    expect(await matchingIds(rows, on({ allOf: [{ bsonType: 'string' }, { minLength: 4 }] }))).toEqual([2]);
    expect(await matchingIds(rows, on({ oneOf: [{ bsonType: 'string' }, { maxLength: 3 }] }))).toEqual([2, 3, 4]);
    expect(await matchingIds(rows, on({ not: { bsonType: 'string' } }))).toEqual([3, 4]);
    expect(await matchingIds(rows, { $jsonSchema: { dependencies: { card: ['billing'] } } })).toEqual([1, 3, 4]);
    expect(
      await matchingIds(rows, { $jsonSchema: { dependencies: { card: { properties: { s: { enum: ['blue'] } } } } } }),
    ).toEqual([2, 3, 4]);
  });

  it('ignores title and description but requires them to be strings', async () => {
    const rows = await collectionOf([{ _id: 1 }]);
    expect(await matchingIds(rows, { $jsonSchema: { title: 't', description: 'd' } })).toEqual([1]);
    await expect(rows.findOne({ $jsonSchema: { title: 1 } })).rejects.toMatchObject({
      code: 14,
      codeName: 'TypeMismatch',
      message: "$jsonSchema keyword 'title' must be of type string",
    });
  });
});

describe('invalid schemas', () => {
  it.each([
    [{ $ref: '#/definitions/a' }, 9, "$jsonSchema keyword '$ref' is not currently supported"],
    [{ format: 'email' }, 9, "$jsonSchema keyword 'format' is not currently supported"],
    [{ properties: { a: { examples: [1] } } }, 9, 'Unknown $jsonSchema keyword: examples'],
    [{ type: 'integer' }, 9, "$jsonSchema type 'integer' is not currently supported."],
    [{ bsonType: 'int32' }, 2, 'Unknown type name alias: int32'],
    [{ type: 'int' }, 2, 'Unknown type name alias: int'],
    [{ type: 'string', bsonType: 'string' }, 9, "Cannot specify both $jsonSchema keywords 'type' and 'bsonType'"],
    [{ required: [] }, 9, "$jsonSchema keyword 'required' cannot be an empty array"],
    [{ enum: [1, 1.0] }, 9, "$jsonSchema keyword 'enum' array cannot contain duplicate values."],
    [{ multipleOf: 0 }, 9, "$jsonSchema keyword 'multipleOf' must have a positive value"],
    [{ exclusiveMinimum: true }, 9, "$jsonSchema keyword 'minimum' must be a present if exclusiveMinimum is present"],
    [{ minLength: -1 }, 9, 'Expected a positive number in: minLength: -1'],
    [{ properties: { a: 1 } }, 14, "Nested schema for $jsonSchema property 'a' must be an object"],
    [{ allOf: [] }, 2, "$jsonSchema keyword 'allOf' must be a non-empty array"],
  ])('refuses %j with code %i', async (schema, code, message) => {
    const rows = await collectionOf([{ _id: 1 }]);
    await expect(rows.findOne({ $jsonSchema: schema })).rejects.toMatchObject({ code, message });
  });

  it('refuses a $jsonSchema that is not a document', async () => {
    const rows = await collectionOf([{ _id: 1 }]);
    await expect(rows.findOne({ $jsonSchema: 5 })).rejects.toMatchObject({
      code: 14,
      message: '$jsonSchema must be an object',
    });
  });

  it('refuses $jsonSchema as an operator on a field', async () => {
    const rows = await collectionOf([{ _id: 1 }]);
    await expect(rows.findOne({ a: { $jsonSchema: {} } })).rejects.toMatchObject({
      code: 2,
      message: 'unknown operator: $jsonSchema',
    });
  });

  it('refuses an invalid schema when the validator is set', async () => {
    const error = await serverError(db.createCollection(`c${++counter}`, { validator: { $jsonSchema: { id: 'x' } } }));
    expect(error).toMatchObject({ code: 9, message: "$jsonSchema keyword 'id' is not currently supported" });
  });
});

describe('$jsonSchema validators', () => {
  const schema = {
    bsonType: 'object',
    required: ['name'],
    properties: {
      name: { bsonType: 'string', description: 'the name' },
      age: { bsonType: 'int', minimum: 0 },
    },
  };

  async function validated(options: Document = {}): Promise<Collection<Row>> {
    const name = `c${++counter}`;
    await db.createCollection(name, { validator: { $jsonSchema: schema }, ...options });
    return db.collection<Row>(name);
  }

  it('refuses an insert with DocumentValidationFailure and says which rules failed', async () => {
    const people = await validated();
    await people.insertOne({ _id: 1, name: 'Ann', age: 30 });
    const error = await serverError(people.insertOne({ _id: 2, age: -1 }));
    expect(error.code).toBe(121);
    expect(error.errInfo).toMatchObject({
      failingDocumentId: 2,
      details: {
        operatorName: '$jsonSchema',
        schemaRulesNotSatisfied: [
          {
            operatorName: 'properties',
            propertiesNotSatisfied: [
              {
                propertyName: 'age',
                details: [
                  {
                    operatorName: 'minimum',
                    specifiedAs: { minimum: 0 },
                    reason: 'comparison failed',
                    consideredValue: -1,
                  },
                ],
              },
            ],
          },
          { operatorName: 'required', specifiedAs: { required: ['name'] }, missingProperties: ['name'] },
        ],
      },
    });
    expect(await people.countDocuments()).toBe(1);
  });

  it('reports a wrong type with the value and its type, under the property description', async () => {
    const people = await validated();
    const error = await serverError(people.insertOne({ _id: 1, name: 5 }));
    expect(error.errInfo?.details.schemaRulesNotSatisfied).toEqual([
      {
        operatorName: 'properties',
        propertiesNotSatisfied: [
          {
            propertyName: 'name',
            description: 'the name',
            details: [
              {
                operatorName: 'bsonType',
                specifiedAs: { bsonType: 'string' },
                reason: 'type did not match',
                consideredValue: 5,
                consideredType: 'int',
              },
            ],
          },
        ],
      },
    ]);
  });

  it('refuses an update that breaks the schema and keeps the document', async () => {
    const people = await validated();
    await people.insertOne({ _id: 1, name: 'Ann' });
    const error = await serverError(people.updateOne({ _id: 1 }, { $set: { age: Long.fromNumber(3) } }));
    expect(error.code).toBe(121);
    expect(await people.findOne({ _id: 1 })).toEqual({ _id: 1, name: 'Ann' });
    await people.updateOne({ _id: 1 }, { $set: { age: 3 } });
    expect(await people.findOne({ _id: 1 })).toEqual({ _id: 1, name: 'Ann', age: 3 });
  });

  it('lets bypassDocumentValidation through', async () => {
    const people = await validated();
    await people.insertOne({ _id: 1, age: 'old' }, { bypassDocumentValidation: true });
    expect(await people.findOne({ _id: 1 })).toEqual({ _id: 1, age: 'old' });
  });

  it('accepts an invalid document when validationAction is warn', async () => {
    const people = await validated({ validationAction: 'warn' });
    await people.insertOne({ _id: 1, age: -5 });
    expect(await people.findOne({ _id: 1 })).toEqual({ _id: 1, age: -5 });
  });

  it('finds the documents a later validator would refuse', async () => {
    const people = await collectionOf([
      { _id: 1, name: 'Ann' },
      { _id: 2, age: 3 },
    ]);
    await db.command({
      collMod: people.collectionName,
      validator: { $jsonSchema: schema },
      validationLevel: 'moderate',
    });
    expect(await matchingIds(people, { $nor: [{ $jsonSchema: schema }] })).toEqual([2]);
    await people.updateOne({ _id: 2 }, { $set: { age: 4 } });
    expect(await people.findOne({ _id: 2 })).toEqual({ _id: 2, age: 4 });
  });
});
