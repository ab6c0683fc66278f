// Renders a typed value the way mongod's error messages show it (close to shell syntax).
import { BSON } from 'mongodb';
import { RawDocument, RawValue, type BsonValue } from './values.js';
import { decodeDocument } from './decode.js';

export function formatValue(value: BsonValue): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'boolean') return String(value);
  if (value instanceof RawDocument) return formatValue(decodeDocument(value.bytes));
  if (value instanceof RawValue) return `<BSON type ${value.type}>`;
  if (value instanceof Map) {
    const fields = [...value].map(([name, field]) => `${name}: ${formatValue(field)}`);
    return fields.length ? `{ ${fields.join(', ')} }` : '{}';
  }
  if (Array.isArray(value)) return `[ ${value.map(formatValue).join(', ')} ]`;
  if (value instanceof Date) return `new Date(${value.getTime()})`;
  switch (value._bsontype) {
    case 'Int32':
    case 'Double':
      return String(value.value);
    case 'Long':
      return value.toString();
    case 'ObjectId':
      return `ObjectId('${value.toHexString()}')`;
  }
  return BSON.EJSON.stringify(value as unknown as Record<string, unknown>);
}
