// The network side: accepts TCP (or TLS) connections, frames wire-protocol messages, runs them one at
// a time per connection (as mongod does) and writes the replies back.
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import type { ConnectionState } from './connection-state.js';
import type { Dispatcher } from './dispatch.js';
import { encodeDocument } from './bson/encode.js';
import { decodeDocument } from './bson/decode.js';
import { CommandError } from './errors.js';
import {
  HEADER_SIZE,
  MsgFlags,
  compress,
  encodeOpMsg,
  encodeOpReply,
  parseMessage,
  type OpQueryRequest,
  type Request,
} from './wire/messages.js';

import { MAX_MESSAGE_SIZE } from './limits.js';

export class WireServer {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private nextConnectionId = 1;
  private nextRequestId = 1;

  constructor(
    private readonly dispatcher: Dispatcher,
    tlsFiles?: { certFile: string; keyFile: string },
  ) {
    const onConnection = (socket: net.Socket): void => this.accept(socket);
    this.server = tlsFiles
      ? tls.createServer({ cert: readFileSync(tlsFiles.certFile), key: readFileSync(tlsFiles.keyFile) }, onConnection)
      : net.createServer(onConnection);
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }

  /** Closes every connection (as a stepdown or shutdown does) but keeps listening. */
  dropConnections(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  /** Connections open now and accepted since start (serverStatus). */
  connectionCounts(): { current: number; totalCreated: number } {
    return { current: this.sockets.size, totalCreated: this.nextConnectionId - 1 };
  }

  close(): Promise<void> {
    this.dropConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    const connection: ConnectionState = {
      id: this.nextConnectionId++,
      remote: `${socket.remoteAddress}:${socket.remotePort}`,
      compressors: [],
      destroy: () => socket.destroy(),
    };
    let pending: Buffer = Buffer.alloc(0);
    let queue = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= 4) {
        const length = pending.readInt32LE(0);
        if (length < HEADER_SIZE || length > MAX_MESSAGE_SIZE) {
          socket.destroy();
          return;
        }
        if (pending.length < length) break;
        const message = pending.subarray(0, length);
        pending = pending.subarray(length);
        queue = queue
          .then(() => this.handle(socket, connection, message))
          .catch(() => {
            socket.destroy();
          });
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
  }

  private async handle(socket: net.Socket, connection: ConnectionState, message: Buffer): Promise<void> {
    if (socket.destroyed) return;
    const request = parseMessage(message);
    const reply = await this.reply(connection, request);
    if (reply === undefined || socket.destroyed) return;
    const framed = request.compressorId !== undefined ? compress(reply, request.compressorId) : reply;
    socket.write(framed);
  }

  private async reply(connection: ConnectionState, request: Request): Promise<Buffer | undefined> {
    const requestId = this.nextRequestId++;
    if (request.kind === 'query') {
      const body = await this.legacyQuery(connection, request);
      return encodeOpReply(requestId, request.header.requestId, [body]);
    }
    const body = await this.dispatcher.run(connection, request.body, request.sequences);
    // With moreToCome the client expects no answer (unacknowledged writes).
    if (request.flags & MsgFlags.moreToCome) return undefined;
    return encodeOpMsg(requestId, request.header.requestId, body);
  }

  /** OP_QUERY is only accepted for commands (the first handshake of every driver). */
  private async legacyQuery(connection: ConnectionState, request: OpQueryRequest): Promise<Buffer> {
    if (!request.collection.endsWith('.$cmd')) {
      return encodeDocument(new CommandError('ProtocolError', 'OP_QUERY is only supported for commands').toReply());
    }
    const db = request.collection.slice(0, -'.$cmd'.length);
    let body = request.query;
    const wrapped = decodeDocument(body).get('$query');
    if (wrapped instanceof Map) body = encodeDocument(wrapped);
    return this.dispatcher.run(connection, body, new Map(), db);
  }
}
