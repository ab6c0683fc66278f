// Walks encoded BSON without decoding it: used to lift documents out of a command body as bytes, to
// read a single field (such as _id) cheaply, and by the decoder.
import { BsonType } from './values.js';

export interface RawElement {
  type: number;
  name: string;
  /** Offset of the first byte of the value. */
  start: number;
  /** Offset one past the last byte of the value. */
  end: number;
}

export class BsonFormatError extends Error {}

/** Length in bytes of the value of an element of `type` starting at `pos`. */
export function valueLength(buf: Buffer, type: number, pos: number): number {
  switch (type) {
    case BsonType.double:
    case BsonType.date:
    case BsonType.timestamp:
    case BsonType.long:
      return 8;
    case BsonType.string:
    case BsonType.javascript:
    case BsonType.symbol:
      return 4 + buf.readInt32LE(pos);
    case BsonType.object:
    case BsonType.array:
    case BsonType.javascriptWithScope:
      return buf.readInt32LE(pos);
    case BsonType.binData:
      return 5 + buf.readInt32LE(pos);
    case BsonType.undefined:
    case BsonType.null:
    case BsonType.minKey:
    case BsonType.maxKey:
      return 0;
    case BsonType.objectId:
      return 12;
    case BsonType.bool:
      return 1;
    case BsonType.regex: {
      const patternEnd = buf.indexOf(0, pos);
      const optionsEnd = buf.indexOf(0, patternEnd + 1);
      return optionsEnd + 1 - pos;
    }
    case BsonType.dbPointer:
      return 4 + buf.readInt32LE(pos) + 12;
    case BsonType.int:
      return 4;
    case BsonType.decimal:
      return 16;
  }
  throw new BsonFormatError(`unknown BSON element type 0x${type.toString(16)} at offset ${pos}`);
}

/** Iterates the elements of the document that starts at `offset`. */
export function* elements(buf: Buffer, offset = 0): Generator<RawElement> {
  const docEnd = offset + buf.readInt32LE(offset) - 1;
  if (docEnd >= buf.length || buf[docEnd] !== 0) throw new BsonFormatError('BSON document is truncated');
  let pos = offset + 4;
  while (pos < docEnd) {
    const type = buf[pos];
    const nameEnd = buf.indexOf(0, pos + 1);
    if (nameEnd < 0 || nameEnd >= docEnd) throw new BsonFormatError('BSON field name is not terminated');
    const name = buf.toString('utf8', pos + 1, nameEnd);
    const start = nameEnd + 1;
    const end = start + valueLength(buf, type, start);
    if (end > docEnd) throw new BsonFormatError(`BSON field '${name}' runs past the end of its document`);
    yield { type, name, start, end };
    pos = end;
  }
}

/** The element named `name` in the document at `offset`, if present. */
export function findElement(buf: Buffer, name: string, offset = 0): RawElement | undefined {
  for (const element of elements(buf, offset)) if (element.name === name) return element;
  return undefined;
}

/** The embedded documents of an array (or document) element, each as its own buffer. */
export function embeddedDocuments(buf: Buffer, element: RawElement): Buffer[] {
  const out: Buffer[] = [];
  for (const item of elements(buf, element.start)) {
    if (item.type !== BsonType.object) throw new BsonFormatError(`element ${item.name} is not a document`);
    out.push(buf.subarray(item.start, item.end));
  }
  return out;
}

/** The raw bytes (type byte, name and value) of one element, for splicing into another document. */
export function elementBytes(buf: Buffer, element: RawElement): Buffer {
  const nameStart = element.start - Buffer.byteLength(element.name) - 2;
  return buf.subarray(nameStart, element.end);
}
