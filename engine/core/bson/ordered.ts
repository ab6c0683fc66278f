// The engine's document representation. Raw BSON from the driver (`raw: true`) is decoded into Maps
// whose values are the driver's BSON classes, because plain objects would lose what a byte-identical
// migration must keep: field order (objects move integer-like keys such as "1" to the front) and
// numeric types (Int32, Long and Double would all become JS numbers). The driver's serializer writes
// Maps in insertion order, so passing these Maps back to it reproduces the source bytes.
//
// The decoder walks the bytes itself rather than calling BSON.deserialize: it runs once per cloned
// document and per change event, and going through plain objects first would cost a second pass.
import { isUtf8 } from 'node:buffer';
import {
  Binary,
  BSONRegExp,
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
  type Document,
} from 'mongodb';
import { FerryError } from '../errors.js';

export type OrderedDocument = Map<string, unknown>;

/**
 * Values the driver cannot write back byte for byte. The first two are deprecated BSON types the
 * Node driver has no class for; the others are legal encodings its classes normalise.
 */
export type LossyValue =
  | 'undefined' // 0x06: written back as null
  | 'dbPointer' // 0x0C: written back as the embedded document {$ref, $id}
  | 'dateOutOfRange' // beyond ±8.64e15 ms, which a JS Date cannot hold: clamped to that range
  | 'regexOptions' // options unsorted or outside "ilmsux": sorted, unknown letters dropped
  | 'oldBinaryLength' // subtype 2 whose inner length disagrees with its size: rewritten
  | 'invalidUtf8' // strings or field names that are not UTF-8: invalid bytes become U+FFFD
  | 'arrayKeys' // array elements not keyed "0", "1", …: renumbered
  | 'duplicateFieldName'; // a name twice in one document: the last value kept, at the first place

/** Decides what happens when a value cannot be kept exactly: throw, or accept the loss and note it. */
export type LossyHandler = (kind: LossyValue) => void;

const refuseLossy: LossyHandler = (kind) => {
  throw new FerryError({
    code: 'UNSUPPORTED_BSON_VALUE',
    message: `the document holds a value the driver cannot write back unchanged (${kind})`,
    remedy:
      'Rewrite such values on the source (for example undefined as null), or exclude the collection; ' +
      'Ferry does not change data silently.',
  });
};

/**
 * Decodes one BSON document. By default a value that cannot be written back unchanged throws a
 * FerryError; pass a handler to accept the documented conversion (see LossyValue) instead.
 */
export function decodeOrdered(raw: Uint8Array, onLossy: LossyHandler = refuseLossy): OrderedDocument {
  const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  return new Reader(buf, onLossy).document(0, buf.length);
}

/** The kinds of value in a document that cannot be written back unchanged, in order of first appearance. */
export function unsupportedTypesIn(raw: Uint8Array): LossyValue[] {
  const found = new Set<LossyValue>();
  decodeOrdered(raw, (kind) => found.add(kind));
  return [...found];
}

const MAX_DATE_MS = 8.64e15;
const TWO_POW_32 = 0x1_0000_0000;
// Strings up to this many bytes are built by hand when ASCII: cheaper than a native call for the
// short field names and values that make up most documents.
const SHORT_STRING = 24;

function malformed(detail: string): FerryError {
  return new FerryError({ code: 'MALFORMED_BSON', message: `malformed BSON: ${detail}` });
}

class Reader {
  /** Offset just after the value last read by value(). */
  private next = 0;

  constructor(
    private readonly buf: Buffer,
    private readonly onLossy: LossyHandler,
  ) {}

  document(start: number, limit: number): OrderedDocument {
    const end = this.frameEnd(start, limit);
    const doc: OrderedDocument = new Map();
    let p = start + 4;
    while (p < end) {
      const nameEnd = this.cstringEnd(p + 1, end);
      const name = this.utf8(p + 1, nameEnd);
      if (doc.has(name)) this.onLossy('duplicateFieldName');
      doc.set(name, this.value(this.buf[p], nameEnd + 1, end));
      p = this.next;
    }
    this.next = end + 1;
    return doc;
  }

  private array(start: number, limit: number): unknown[] {
    const end = this.frameEnd(start, limit);
    const out: unknown[] = [];
    let p = start + 4;
    while (p < end) {
      const nameEnd = this.cstringEnd(p + 1, end);
      if (!this.isIndexKey(p + 1, nameEnd, out.length)) this.onLossy('arrayKeys');
      out.push(this.value(this.buf[p], nameEnd + 1, end));
      p = this.next;
    }
    this.next = end + 1;
    return out;
  }

  /** Validates a document's frame and returns the offset of its terminating zero. */
  private frameEnd(start: number, limit: number): number {
    if (start + 5 > limit) throw malformed('document shorter than 5 bytes');
    const size = this.buf.readInt32LE(start);
    const end = start + size - 1;
    if (size < 5 || end >= limit || this.buf[end] !== 0) throw malformed(`bad document size ${size}`);
    return end;
  }

  private cstringEnd(start: number, limit: number): number {
    const end = this.buf.indexOf(0, start);
    if (end < 0 || end >= limit) throw malformed('unterminated cstring');
    return end;
  }

  /** Returns the offset of a length-prefixed string's trailing zero. */
  private stringEnd(p: number, limit: number): number {
    if (p + 4 > limit) throw malformed('truncated string');
    const size = this.buf.readInt32LE(p);
    const end = p + 4 + size - 1;
    if (size < 1 || end >= limit || this.buf[end] !== 0) throw malformed(`bad string size ${size}`);
    return end;
  }

  /** Checks that a fixed-size value fits and returns the offset after it. */
  private fixed(p: number, bytes: number, limit: number): number {
    if (p + bytes > limit) throw malformed('truncated value');
    return p + bytes;
  }

  private isIndexKey(start: number, end: number, index: number): boolean {
    if (end === start || end - start > 10 || (this.buf[start] === 0x30 && end - start > 1)) return false;
    let n = 0;
    for (let q = start; q < end; q++) {
      const digit = this.buf[q] - 0x30;
      if (digit < 0 || digit > 9) return false;
      n = n * 10 + digit;
    }
    return n === index;
  }

  private utf8(start: number, end: number): string {
    const buf = this.buf;
    if (end - start <= SHORT_STRING) {
      let text = '';
      let q = start;
      for (; q < end && buf[q] < 0x80; q++) text += String.fromCharCode(buf[q]);
      if (q === end) return text;
    }
    const text = buf.toString('utf8', start, end);
    if (text.includes('\uFFFD') && !isUtf8(buf.subarray(start, end))) this.onLossy('invalidUtf8');
    return text;
  }

  /** Decodes the value of the given type at p, leaving the offset after it in this.next. */
  private value(type: number, p: number, limit: number): unknown {
    const buf = this.buf;
    switch (type) {
      case 0x01:
        this.next = this.fixed(p, 8, limit);
        return new Double(buf.readDoubleLE(p));
      case 0x02: {
        const end = this.stringEnd(p, limit);
        this.next = end + 1;
        return this.utf8(p + 4, end);
      }
      case 0x03:
        return this.document(p, limit);
      case 0x04:
        return this.array(p, limit);
      case 0x05:
        return this.binary(p, limit);
      case 0x06:
        this.onLossy('undefined');
        this.next = p;
        return null;
      case 0x07:
        this.next = this.fixed(p, 12, limit);
        return new ObjectId(buf.subarray(p, p + 12));
      case 0x08:
        this.next = this.fixed(p, 1, limit);
        return buf[p] !== 0;
      case 0x09:
        this.next = this.fixed(p, 8, limit);
        return this.date(buf.readInt32LE(p + 4) * TWO_POW_32 + buf.readUInt32LE(p));
      case 0x0a:
        this.next = p;
        return null;
      case 0x0b:
        return this.regex(p, limit);
      case 0x0c: {
        // A DBPointer's modern equivalent is a DBRef, which the driver writes as {$ref, $id}.
        this.onLossy('dbPointer');
        const end = this.stringEnd(p, limit);
        this.next = this.fixed(end + 1, 12, limit);
        return new Map<string, unknown>([
          ['$ref', this.utf8(p + 4, end)],
          ['$id', new ObjectId(buf.subarray(end + 1, end + 13))],
        ]);
      }
      case 0x0d:
      case 0x0e: {
        const end = this.stringEnd(p, limit);
        this.next = end + 1;
        const text = this.utf8(p + 4, end);
        return type === 0x0d ? new Code(text) : new BSONSymbol(text);
      }
      case 0x0f:
        return this.codeWithScope(p, limit);
      case 0x10:
        this.next = this.fixed(p, 4, limit);
        return new Int32(buf.readInt32LE(p));
      case 0x11:
        this.next = this.fixed(p, 8, limit);
        return new Timestamp({ t: buf.readUInt32LE(p + 4), i: buf.readUInt32LE(p) });
      case 0x12:
        this.next = this.fixed(p, 8, limit);
        return new Long(buf.readInt32LE(p), buf.readInt32LE(p + 4));
      case 0x13:
        this.next = this.fixed(p, 16, limit);
        // Copied, so the decoded value does not pin the driver's whole reply buffer in memory.
        return new Decimal128(Buffer.from(buf.subarray(p, p + 16)));
      case 0xff:
        this.next = p;
        return new MinKey();
      case 0x7f:
        this.next = p;
        return new MaxKey();
      default:
        throw malformed(`unknown type 0x${type.toString(16)}`);
    }
  }

  private binary(p: number, limit: number): Binary {
    const size = this.buf.readInt32LE(this.fixed(p, 5, limit) - 5);
    if (size < 0) throw malformed(`bad binary size ${size}`);
    const subtype = this.buf[p + 4];
    this.next = this.fixed(p + 5, size, limit);
    let data = this.buf.subarray(p + 5, this.next);
    // Subtype 2 repeats its length inside the payload; the driver strips it on read and writes it
    // again from the data's length, so only a consistent inner length survives the round trip.
    if (subtype === Binary.SUBTYPE_BYTE_ARRAY) {
      if (size >= 4 && this.buf.readInt32LE(p + 5) === size - 4) data = data.subarray(4);
      else this.onLossy('oldBinaryLength');
    }
    return new Binary(Buffer.from(data), subtype);
  }

  private date(ms: number): Date {
    if (Math.abs(ms) <= MAX_DATE_MS) return new Date(ms);
    this.onLossy('dateOutOfRange');
    return new Date(Math.sign(ms) * MAX_DATE_MS);
  }

  private regex(p: number, limit: number): BSONRegExp {
    const patternEnd = this.cstringEnd(p, limit);
    const optionsEnd = this.cstringEnd(patternEnd + 1, limit);
    this.next = optionsEnd + 1;
    const options = this.buf.toString('latin1', patternEnd + 1, optionsEnd);
    // BSONRegExp sorts its options and refuses letters outside "ilmsux"; mongod stores them as given.
    const kept = [...options]
      .filter((letter) => 'ilmsux'.includes(letter))
      .sort()
      .join('');
    if (kept !== options) this.onLossy('regexOptions');
    return new BSONRegExp(this.utf8(p, patternEnd), kept);
  }

  private codeWithScope(p: number, limit: number): Code {
    const size = this.buf.readInt32LE(this.fixed(p, 4, limit) - 4);
    const end = this.fixed(p, size, limit);
    if (size < 14) throw malformed(`bad code with scope size ${size}`);
    const codeEnd = this.stringEnd(p + 4, end);
    // The serializer walks a Map scope like any document; the typings only know plain objects.
    const scope = this.document(codeEnd + 1, end) as unknown as Document;
    this.next = end;
    return new Code(this.utf8(p + 8, codeEnd), scope);
  }
}
