// Reading command arguments with the type checks and messages mongod gives.
import { typeAlias, typeOf, type BsonDoc, type BsonValue } from '../bson/values.js';
import { CommandError } from '../errors.js';
import { numberOption } from '../storage/writer.js';

function typeName(value: BsonValue): string {
  return typeAlias[typeOf(value)] ?? 'unknown';
}

export function optionalNumber(body: BsonDoc, field: string): number | undefined {
  const value = body.get(field);
  if (value === undefined || value === null) return undefined;
  const number = numberOption(value);
  if (number === undefined)
    throw new CommandError(
      'TypeMismatch',
      `BSON field '${field}' is the wrong type '${typeName(value)}', expected types '[long, int, decimal, double]'`,
    );
  return number;
}

export function optionalBool(body: BsonDoc, field: string): boolean | undefined {
  const value = body.get(field);
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  const number = numberOption(value);
  if (number !== undefined) return number !== 0;
  throw new CommandError(
    'TypeMismatch',
    `BSON field '${field}' is the wrong type '${typeName(value)}', expected types '[bool, long, int, decimal, double]'`,
  );
}

export function optionalString(body: BsonDoc, field: string): string | undefined {
  const value = body.get(field);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string')
    throw new CommandError(
      'TypeMismatch',
      `BSON field '${field}' is the wrong type '${typeName(value)}', expected type 'string'`,
    );
  return value;
}

export function requiredString(body: BsonDoc, field: string): string {
  const value = optionalString(body, field);
  if (value === undefined)
    throw new CommandError('FailedToParse', `BSON field '${field}' is missing but a required field`);
  return value;
}

export function optionalDoc(body: BsonDoc, field: string): BsonDoc | undefined {
  const value = body.get(field);
  if (value === undefined || value === null) return undefined;
  if (!(value instanceof Map))
    throw new CommandError(
      'TypeMismatch',
      `BSON field '${field}' is the wrong type '${typeName(value)}', expected type 'object'`,
    );
  return value;
}

export function optionalArray(body: BsonDoc, field: string): BsonValue[] | undefined {
  const value = body.get(field);
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value))
    throw new CommandError(
      'TypeMismatch',
      `BSON field '${field}' is the wrong type '${typeName(value)}', expected type 'array'`,
    );
  return value;
}

/** The collection name a command addresses (its first field), checked to be a string. */
export function collectionName(body: BsonDoc, command: string): string {
  const value = body.get(command);
  if (typeof value !== 'string' || value.length === 0)
    throw new CommandError('InvalidNamespace', `Invalid namespace specified for '${command}'`);
  return value;
}

/** Documents given in a document sequence or in the body's array field, as typed values. */
export function documentsArg(
  body: BsonDoc,
  sequences: Map<string, Buffer[]>,
  field: string,
  decode: (bytes: Buffer) => BsonDoc,
): BsonDoc[] {
  const sequence = sequences.get(field);
  if (sequence) return sequence.map(decode);
  const array = optionalArray(body, field) ?? [];
  return array.map((item, index) => {
    if (!(item instanceof Map))
      throw new CommandError('TypeMismatch', `BSON field '${field}.${index}' is not a document`);
    return item;
  });
}

/** documentsArg for a field the command cannot do without: missing, it fails as mongod's IDL parser does. */
export function requiredDocumentsArg(
  body: BsonDoc,
  sequences: Map<string, Buffer[]>,
  command: string,
  field: string,
  decode: (bytes: Buffer) => BsonDoc,
): BsonDoc[] {
  if (!sequences.has(field) && !body.has(field))
    throw new CommandError(40414, `BSON field '${command}.${field}' is missing but a required field`);
  return documentsArg(body, sequences, field, decode);
}
