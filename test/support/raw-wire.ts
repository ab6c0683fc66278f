// A minimal wire-protocol client for tests that must send bytes the official driver never sends:
// hand-built BSON (deprecated types), legacy OP_QUERY, OP_COMPRESSED and moreToCome.
import net from 'node:net';
import { deflateSync, inflateSync } from 'node:zlib';
import { BSON, type Document } from 'mongodb';

let nextRequestId = 1;

function header(length: number, opCode: number, requestId: number): Buffer {
  const head = Buffer.alloc(16);
  head.writeInt32LE(length, 0);
  head.writeInt32LE(requestId, 4);
  head.writeInt32LE(0, 8);
  head.writeInt32LE(opCode, 12);
  return head;
}

/** OP_MSG with a body and optional document sequences of raw documents. */
export function opMsg(body: Document, sequences: Record<string, Buffer[]> = {}, flags = 0): Buffer {
  const parts: Buffer[] = [];
  const flagBytes = Buffer.alloc(4);
  flagBytes.writeUInt32LE(flags, 0);
  parts.push(flagBytes, Buffer.from([0]), Buffer.from(BSON.serialize(body)));
  for (const [identifier, docs] of Object.entries(sequences)) {
    const name = Buffer.from(`${identifier}\0`);
    const size = 4 + name.length + docs.reduce((sum, doc) => sum + doc.length, 0);
    const sizeBytes = Buffer.alloc(4);
    sizeBytes.writeInt32LE(size, 0);
    parts.push(Buffer.from([1]), sizeBytes, name, ...docs);
  }
  const payload = Buffer.concat(parts);
  return Buffer.concat([header(16 + payload.length, 2013, nextRequestId++), payload]);
}

/** Legacy OP_QUERY against `<db>.$cmd`, as drivers send their first handshake. */
export function opQuery(db: string, query: Document): Buffer {
  const flags = Buffer.alloc(4);
  const name = Buffer.from(`${db}.$cmd\0`);
  const numbers = Buffer.alloc(8);
  numbers.writeInt32LE(0, 0);
  numbers.writeInt32LE(-1, 4);
  const payload = Buffer.concat([flags, name, numbers, Buffer.from(BSON.serialize(query))]);
  return Buffer.concat([header(16 + payload.length, 2004, nextRequestId++), payload]);
}

/** Wraps a message in OP_COMPRESSED with zlib. */
export function zlibCompressed(message: Buffer): Buffer {
  const inner = message.subarray(16);
  const prefix = Buffer.alloc(9);
  prefix.writeInt32LE(message.readInt32LE(12), 0);
  prefix.writeInt32LE(inner.length, 4);
  prefix[8] = 2;
  const payload = Buffer.concat([prefix, deflateSync(inner)]);
  return Buffer.concat([header(16 + payload.length, 2012, message.readInt32LE(4)), payload]);
}

export interface RawReply {
  opCode: number;
  /** The reply document, decompressed and unwrapped from OP_MSG or OP_REPLY. */
  document: Document;
}

export class RawConnection {
  private buffered = Buffer.alloc(0);
  private waiting: ((message: Buffer) => void) | undefined;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.deliver();
    });
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, host, () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  send(message: Buffer): void {
    this.socket.write(message);
  }

  /** Sends a message and waits for the reply (or rejects after `ms`). */
  async request(message: Buffer, ms = 5000): Promise<RawReply> {
    this.send(message);
    return this.next(ms);
  }

  next(ms = 5000): Promise<RawReply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(new Error(`no reply within ${ms} ms`));
      }, ms);
      this.waiting = (message) => {
        clearTimeout(timer);
        resolve(parseReply(message));
      };
      this.deliver();
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private deliver(): void {
    if (!this.waiting || this.buffered.length < 4) return;
    const length = this.buffered.readInt32LE(0);
    if (this.buffered.length < length) return;
    const message = this.buffered.subarray(0, length);
    this.buffered = this.buffered.subarray(length);
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting(message);
  }
}

function parseReply(message: Buffer): RawReply {
  let opCode = message.readInt32LE(12);
  let payload = message.subarray(16);
  if (opCode === 2012) {
    opCode = payload.readInt32LE(0);
    payload = payload[8] === 2 ? inflateSync(payload.subarray(9)) : payload.subarray(9);
    return { opCode: 2012, document: unwrap(opCode, payload) };
  }
  return { opCode, document: unwrap(opCode, payload) };
}

function unwrap(opCode: number, payload: Buffer): Document {
  if (opCode === 2013) return BSON.deserialize(payload.subarray(5));
  if (opCode === 1) return BSON.deserialize(payload.subarray(20));
  throw new Error(`unexpected reply opcode ${opCode}`);
}
