// The MongoDB wire protocol's framing: OP_MSG (with document sequences), the legacy OP_QUERY/OP_REPLY
// pair still used for the first handshake, and OP_COMPRESSED (noop and zlib).
import { deflateSync, inflateSync } from 'node:zlib';

export const OpCode = { reply: 1, query: 2004, compressed: 2012, msg: 2013 } as const;

export const MsgFlags = { checksumPresent: 1 << 0, moreToCome: 1 << 1, exhaustAllowed: 1 << 16 } as const;

export const Compressor = { noop: 0, snappy: 1, zlib: 2, zstd: 3 } as const;
export const supportedCompressors = ['zlib'] as const;

export const HEADER_SIZE = 16;

export interface MessageHeader {
  length: number;
  requestId: number;
  responseTo: number;
  opCode: number;
}

export interface OpMsgRequest {
  kind: 'msg';
  header: MessageHeader;
  flags: number;
  body: Buffer;
  sequences: Map<string, Buffer[]>;
  /** Compressor the client used, so the reply can use the same one. */
  compressorId?: number;
}

export interface OpQueryRequest {
  kind: 'query';
  header: MessageHeader;
  flags: number;
  collection: string;
  numberToSkip: number;
  numberToReturn: number;
  query: Buffer;
  compressorId?: number;
}

export type Request = OpMsgRequest | OpQueryRequest;

export class WireError extends Error {}

export function readHeader(buf: Buffer): MessageHeader {
  return {
    length: buf.readInt32LE(0),
    requestId: buf.readInt32LE(4),
    responseTo: buf.readInt32LE(8),
    opCode: buf.readInt32LE(12),
  };
}

/** Parses one complete message (header included). */
export function parseMessage(message: Buffer): Request {
  const header = readHeader(message);
  switch (header.opCode) {
    case OpCode.msg:
      return parseOpMsg(header, message.subarray(HEADER_SIZE));
    case OpCode.query:
      return parseOpQuery(header, message.subarray(HEADER_SIZE));
    case OpCode.compressed:
      return parseCompressed(header, message.subarray(HEADER_SIZE));
  }
  throw new WireError(`unsupported wire opcode ${header.opCode}`);
}

function parseOpMsg(header: MessageHeader, payload: Buffer): OpMsgRequest {
  const flags = payload.readUInt32LE(0);
  // The CRC-32C checksum is trailing and optional; the sandbox trusts TCP and does not verify it.
  const end = flags & MsgFlags.checksumPresent ? payload.length - 4 : payload.length;
  let pos = 4;
  let body: Buffer | undefined;
  const sequences = new Map<string, Buffer[]>();
  while (pos < end) {
    const kind = payload[pos++];
    if (kind === 0) {
      const size = payload.readInt32LE(pos);
      if (body) throw new WireError('OP_MSG has more than one body section');
      body = payload.subarray(pos, pos + size);
      pos += size;
    } else if (kind === 1) {
      const size = payload.readInt32LE(pos);
      const sectionEnd = pos + size;
      const nameEnd = payload.indexOf(0, pos + 4);
      const identifier = payload.toString('utf8', pos + 4, nameEnd);
      const docs: Buffer[] = [];
      let docPos = nameEnd + 1;
      while (docPos < sectionEnd) {
        const docSize = payload.readInt32LE(docPos);
        docs.push(payload.subarray(docPos, docPos + docSize));
        docPos += docSize;
      }
      sequences.set(identifier, docs);
      pos = sectionEnd;
    } else {
      throw new WireError(`unknown OP_MSG section kind ${kind}`);
    }
  }
  if (!body) throw new WireError('OP_MSG has no body section');
  return { kind: 'msg', header, flags, body, sequences };
}

function parseOpQuery(header: MessageHeader, payload: Buffer): OpQueryRequest {
  const flags = payload.readInt32LE(0);
  const nameEnd = payload.indexOf(0, 4);
  const collection = payload.toString('utf8', 4, nameEnd);
  const numberToSkip = payload.readInt32LE(nameEnd + 1);
  const numberToReturn = payload.readInt32LE(nameEnd + 5);
  const queryStart = nameEnd + 9;
  const query = payload.subarray(queryStart, queryStart + payload.readInt32LE(queryStart));
  return { kind: 'query', header, flags, collection, numberToSkip, numberToReturn, query };
}

function parseCompressed(header: MessageHeader, payload: Buffer): Request {
  const originalOpCode = payload.readInt32LE(0);
  const uncompressedSize = payload.readInt32LE(4);
  const compressorId = payload[8];
  const compressed = payload.subarray(9);
  let inner: Buffer;
  if (compressorId === Compressor.noop) inner = compressed;
  else if (compressorId === Compressor.zlib) inner = inflateSync(compressed);
  else throw new WireError(`unsupported compressor id ${compressorId}; the sandbox supports zlib`);
  if (inner.length !== uncompressedSize) throw new WireError('OP_COMPRESSED size does not match its payload');
  const rebuilt = Buffer.alloc(HEADER_SIZE + inner.length);
  rebuilt.writeInt32LE(rebuilt.length, 0);
  rebuilt.writeInt32LE(header.requestId, 4);
  rebuilt.writeInt32LE(header.responseTo, 8);
  rebuilt.writeInt32LE(originalOpCode, 12);
  inner.copy(rebuilt, HEADER_SIZE);
  const request = parseMessage(rebuilt);
  request.compressorId = compressorId;
  return request;
}

function frame(opCode: number, requestId: number, responseTo: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(HEADER_SIZE);
  header.writeInt32LE(HEADER_SIZE + payload.length, 0);
  header.writeInt32LE(requestId, 4);
  header.writeInt32LE(responseTo, 8);
  header.writeInt32LE(opCode, 12);
  return Buffer.concat([header, payload]);
}

export function encodeOpMsg(requestId: number, responseTo: number, body: Buffer, flags = 0): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32LE(flags, 0);
  prefix[4] = 0;
  return frame(OpCode.msg, requestId, responseTo, Buffer.concat([prefix, body]));
}

export function encodeOpReply(requestId: number, responseTo: number, documents: Buffer[]): Buffer {
  const prefix = Buffer.alloc(20);
  prefix.writeInt32LE(0, 0);
  prefix.writeBigInt64LE(0n, 4);
  prefix.writeInt32LE(0, 12);
  prefix.writeInt32LE(documents.length, 16);
  return frame(OpCode.reply, requestId, responseTo, Buffer.concat([prefix, ...documents]));
}

/** Wraps an encoded message in OP_COMPRESSED with the given compressor. */
export function compress(message: Buffer, compressorId: number): Buffer {
  const header = readHeader(message);
  const inner = message.subarray(HEADER_SIZE);
  const compressed = compressorId === Compressor.zlib ? deflateSync(inner) : inner;
  const prefix = Buffer.alloc(9);
  prefix.writeInt32LE(header.opCode, 0);
  prefix.writeInt32LE(inner.length, 4);
  prefix[8] = compressorId;
  return frame(OpCode.compressed, header.requestId, header.responseTo, Buffer.concat([prefix, compressed]));
}
