// What the server tests share: a server on a free port with a quiet log, an engine host tuned for
// tests, raw HTTP requests (node:http, so tests control every header and how the body is sent) and a
// server-sent-events reader.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { FerryApi } from '../../engine/protocol.js';
import { EngineHost } from '../../engine/host/engine-host.js';
import { startFerryServer, type FerryServer, type FerryServerOptions } from '../../engine/server/http-server.js';
import { createServerLog } from '../../engine/server/server-log.js';

export const TEST_TOKEN = 'test-token-0123456789';

export function startTestServer(api: FerryApi, options: Partial<FerryServerOptions> = {}): Promise<FerryServer> {
  return startFerryServer({
    api,
    host: '127.0.0.1',
    port: 0,
    token: TEST_TOKEN,
    metadataDb: 'ferry_internal',
    log: createServerLog({ level: 'info', json: true, destination: { write: () => undefined } }),
    ...options,
  });
}

/** An engine in a worker thread with fast checkpoints and heartbeats and a silent log. */
export function startTestHost(metadataDb: string): Promise<EngineHost> {
  return EngineHost.start({
    metadataDb,
    logLevel: 'silent',
    statusIntervalMs: 100,
    checkpointIntervalMs: 250,
    heartbeat: { intervalMs: 250, staleMs: 2000 },
  });
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: unknown;
}

export interface RequestOptions {
  /** The bearer token; TEST_TOKEN unless set, none when null. */
  token?: string | null;
  /** Sent as JSON unless a string or Buffer. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Sends the body in chunks without a Content-Length. */
  chunked?: boolean;
}

/** Sends `path` exactly as written (no URL normalisation, so `..` reaches the server). */
export function call(server: FerryServer, method: string, path: string, options: RequestOptions = {}): Promise<Reply> {
  const { hostname, port } = new URL(server.url);
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token === undefined ? TEST_TOKEN : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let payload: Buffer | undefined;
  if (options.body !== undefined) {
    payload = Buffer.isBuffer(options.body)
      ? options.body
      : Buffer.from(typeof options.body === 'string' ? options.body : JSON.stringify(options.body));
    if (!options.chunked) headers['content-length'] = String(payload.length);
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    if (payload && options.chunked) {
      // Several writes without a length: the server sees a chunked body.
      for (let offset = 0; offset < payload.length; offset += 64 * 1024)
        req.write(payload.subarray(offset, offset + 64 * 1024));
      req.end();
    } else {
      req.end(payload);
    }
  });
}

export interface SseEvent {
  event: string;
  data: unknown;
  at: number;
}

export interface SseReader {
  events: SseEvent[];
  comments: string[];
  status: number;
  headers: IncomingHttpHeaders;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

/** Opens GET /api/v1/events and collects its events until closed. */
export function openEvents(
  server: FerryServer,
  headers: Record<string, string> = { authorization: `Bearer ${TEST_TOKEN}` },
): Promise<SseReader> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL('/api/v1/events', server.url), { headers }, (res) => {
      let endStream: () => void = () => undefined;
      const reader: SseReader = {
        events: [],
        comments: [],
        status: res.statusCode ?? 0,
        headers: res.headers,
        ended: new Promise<void>((done) => (endStream = done)),
        close: () => req.destroy(),
      };
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const lines = frame.split('\n');
          const comment = lines.find((line) => line.startsWith(':'));
          if (comment) reader.comments.push(comment);
          const event = lines.find((line) => line.startsWith('event: '))?.slice(7);
          const data = lines.find((line) => line.startsWith('data: '))?.slice(6);
          if (event !== undefined && data !== undefined)
            reader.events.push({ event, data: JSON.parse(data) as unknown, at: Date.now() });
        }
      });
      res.on('end', () => endStream());
      res.on('close', () => endStream());
      resolve(reader);
    });
    req.on('error', reject);
    req.end();
  });
}
