// Change stream resume tokens in mongod's format: `{_data: <hex KeyString>}` (plus `_typeBits` when a
// number in the token is not an int) holding, in order, the cluster time, the token version, the
// token type, the position in a transaction, whether the event follows an invalidate, the collection
// UUID and the event's identity. Tokens therefore order by their bytes, and the first 9 bytes are
// 0x82 followed by the big-endian cluster time (seconds, then increment).
import { formatValue } from '../bson/format.js';
import { Binary, Int32, Timestamp, type BsonDoc, type BsonValue } from '../bson/values.js';
import { CommandError } from '../errors.js';
import { CType, KEY_STRING_END, KeyStringBuilder } from './key-string.js';

/** The version mongod 8.0 writes: its event identifier is {operationType, documentKey | operationDescription}. */
export const TOKEN_VERSION = 2;

const INVALID_UUID = 207;

export const TokenType = { highWaterMark: 0, event: 128 } as const;

export interface ResumeToken {
  readonly clusterTime: Timestamp;
  readonly version: number;
  readonly tokenType: number;
  readonly txnOpIndex: number;
  readonly fromInvalidate: boolean;
  readonly uuid?: Binary;
  /** The KeyString bytes: tokens order by them. */
  readonly key: Buffer;
  /** The token as clients see it: {_data, _typeBits?}. */
  readonly document: BsonDoc;
}

export interface EventPosition {
  clusterTime: Timestamp;
  txnOpIndex: number;
  uuid?: Binary;
  /** {operationType, documentKey} for document events, {operationType[, operationDescription]} for DDL. */
  eventIdentifier: BsonDoc;
  fromInvalidate?: boolean;
}

export function eventToken(position: EventPosition): ResumeToken {
  return buildToken(
    {
      clusterTime: position.clusterTime,
      version: TOKEN_VERSION,
      tokenType: TokenType.event,
      txnOpIndex: position.txnOpIndex,
      fromInvalidate: position.fromInvalidate ?? false,
      uuid: position.uuid,
    },
    position.eventIdentifier,
  );
}

/** A token that marks a point in time rather than an event; resuming from it starts at that time. */
export function highWaterMarkToken(clusterTime: Timestamp): ResumeToken {
  return buildToken({
    clusterTime,
    version: TOKEN_VERSION,
    tokenType: TokenType.highWaterMark,
    txnOpIndex: 0,
    fromInvalidate: false,
  });
}

export function isHighWaterMark(token: ResumeToken): boolean {
  return token.tokenType === TokenType.highWaterMark;
}

export function compareResumeTokens(a: ResumeToken, b: ResumeToken): number {
  return Buffer.compare(a.key, b.key);
}

type TokenHeader = Omit<ResumeToken, 'key' | 'document'>;

function buildToken(header: TokenHeader, eventIdentifier?: BsonDoc): ResumeToken {
  const builder = new KeyStringBuilder()
    .appendValue(header.clusterTime)
    .appendValue(new Int32(header.version))
    .appendValue(new Int32(header.tokenType))
    .appendValue(new Int32(header.txnOpIndex))
    .appendValue(header.fromInvalidate)
    // From version 2 on, a token without a UUID says so with an explicit null.
    .appendValue(header.uuid ?? null);
  if (eventIdentifier) builder.appendValue(eventIdentifier);
  const { key, typeBits } = builder.finish();
  const document: BsonDoc = new Map<string, BsonValue>([['_data', key.toString('hex').toUpperCase()]]);
  if (typeBits) document.set('_typeBits', new Binary(typeBits, 0));
  return { ...header, key, document };
}

/** Reads a token a client sent back (resumeAfter / startAfter), with mongod's errors for bad ones. */
export function parseResumeToken(value: BsonValue): ResumeToken {
  if (!(value instanceof Map)) throw new CommandError('TypeMismatch', 'Resume token must be an object');
  const data = value.get('_data');
  if (typeof data !== 'string')
    throw new CommandError(
      40647,
      `Bad resume token: _data of missing or of wrong type. Expected string, got ${formatValue(value)}`,
    );
  const typeBits = value.get('_typeBits');
  if (typeBits !== undefined && !(typeBits instanceof Binary && typeBits.sub_type === 0))
    throw new CommandError(40648, `Bad resume token: _typeBits of wrong type ${formatValue(value)}`);
  if (data.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(data))
    throw new CommandError('FailedToParse', 'resume token string was not a valid hex string');
  const key = Buffer.from(data, 'hex');
  return { ...new TokenReader(key).header(), key, document: value };
}

/** Walks the fixed leading fields of a token's KeyString; the event identifier stays opaque. */
class TokenReader {
  private position = 0;

  constructor(private readonly key: Buffer) {}

  header(): TokenHeader {
    if (this.key.length === 0 || this.key[0] === KEY_STRING_END)
      throw new CommandError(40649, 'invalid empty resume token');
    if (this.next() !== CType.timestamp)
      throw new CommandError('FailedToParse', 'Bad resume token: it does not start with a cluster time');
    const time = this.uint64();
    const clusterTime = new Timestamp({ t: Number(time >> 32n), i: Number(time & 0xffffffffn) });
    const version = this.integer(
      50796,
      'Resume Token does not contain version',
      50854,
      'Invalid resume token: wrong type for version',
    );
    if (version !== 1 && version !== 2)
      throw new CommandError(50795, 'Invalid Resume Token: only supports version 0, 1 and 2');
    const tokenType = this.integer(
      51055,
      'Resume Token does not contain tokenType',
      51056,
      'Resume Token tokenType is not an int.',
    );
    if (tokenType !== TokenType.event && tokenType !== TokenType.highWaterMark)
      throw new CommandError(51057, `Token type ${tokenType} not recognized`);
    const txnOpIndex = this.integer(
      50793,
      'Resume Token does not contain txnOpIndex',
      50855,
      'Resume Token txnOpIndex is not an integer',
    );
    if (txnOpIndex < 0) throw new CommandError(50794, 'Invalid Resume Token: txnOpIndex should be non-negative');
    if (this.atEnd()) throw new CommandError(50872, 'Resume Token does not contain fromInvalidate');
    const flag = this.next();
    if (flag !== CType.boolFalse && flag !== CType.boolTrue)
      throw new CommandError(50870, 'Resume Token fromInvalidate is not a boolean.');
    const header: TokenHeader = {
      clusterTime,
      version,
      tokenType,
      txnOpIndex,
      fromInvalidate: flag === CType.boolTrue,
    };
    if (this.atEnd()) {
      if (version >= 2) throw new CommandError(6189500, 'Expected UUID or null');
      return this.finish(header);
    }
    const uuid = this.uuidOrNull();
    const withUuid = uuid ? { ...header, uuid } : header;
    if (this.atEnd()) {
      if (tokenType === TokenType.event && version >= 2)
        throw new CommandError(6189501, 'Expected an eventIdentifier for an event resume token');
      return this.finish(withUuid);
    }
    if (tokenType === TokenType.highWaterMark) throw new CommandError(6189504, 'Invalid high water mark token');
    if (this.key[this.position] !== CType.object)
      throw new CommandError(6189503, 'Resume Token eventIdentifier is not an object');
    this.position = this.key.length - 1;
    return this.finish(withUuid);
  }

  private finish(header: TokenHeader): TokenHeader {
    if (this.position !== this.key.length - 1 || this.key[this.position] !== KEY_STRING_END)
      throw new CommandError(40646, 'invalid oversized resume token');
    return header;
  }

  private atEnd(): boolean {
    return this.position >= this.key.length || this.key[this.position] === KEY_STRING_END;
  }

  private next(): number {
    if (this.position >= this.key.length) throw new CommandError(50816, 'KeyString format error: unexpected end');
    return this.key[this.position++];
  }

  private uint64(): bigint {
    if (this.position + 8 > this.key.length) throw new CommandError(50816, 'KeyString format error: unexpected end');
    const value = this.key.readBigUInt64BE(this.position);
    this.position += 8;
    return value;
  }

  /** A small non-negative integer (ints are all the token header holds). */
  private integer(missingCode: number, missing: string, wrongTypeCode: number, wrongType: string): number {
    if (this.atEnd()) throw new CommandError(missingCode, missing);
    const ctype = this.next();
    if (ctype === CType.numericZero) return 0;
    if (ctype < CType.positive1ByteInt || ctype > CType.positive1ByteInt + 3)
      throw new CommandError(wrongTypeCode, wrongType);
    let value = 0;
    for (let i = 0; i <= ctype - CType.positive1ByteInt; i++) value = value * 256 + this.next();
    // The low bit flags a fractional part, which an int never has.
    if (value % 2 !== 0) throw new CommandError(wrongTypeCode, wrongType);
    return value / 2;
  }

  private uuidOrNull(): Binary | undefined {
    const ctype = this.next();
    if (ctype === CType.nullish) return undefined;
    if (ctype !== CType.binData) throw new CommandError(INVALID_UUID, 'Resume token UUID is not a UUID');
    const length = this.next();
    const subtype = this.next();
    if (length !== 16 || subtype !== Binary.SUBTYPE_UUID || this.position + 16 > this.key.length)
      throw new CommandError(INVALID_UUID, 'Resume token UUID is not a UUID');
    const bytes = this.key.subarray(this.position, this.position + 16);
    this.position += 16;
    return new Binary(Buffer.from(bytes), Binary.SUBTYPE_UUID);
  }
}
