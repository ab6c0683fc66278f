// Request bodies: at most 1 MiB (PCSM's limit; the largest legitimate body, a start with long namespace
// lists, is a few KiB), JSON only. An oversized body is refused from its Content-Length before a byte
// is read, or as soon as a chunked body passes the limit.
import type { IncomingMessage } from 'node:http';

export const MAX_BODY_BYTES = 1024 * 1024;

/** A request refused before it reaches the engine: its status, and the code Ferry's API reports. */
export class RequestError extends Error {
  constructor(
    readonly status: 400 | 413,
    message: string,
    readonly code = status === 413 ? 'BODY_TOO_LARGE' : 'INVALID_REQUEST',
  ) {
    super(message);
  }
}

export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      // Stop keeping bytes but keep the socket: the 413 answer still has to reach the client.
      req.off('data', onData);
      req.resume();
      reject(tooLarge(limit));
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

/** The parsed JSON, or undefined for an empty body. */
export function parseJson(body: Buffer): unknown {
  const text = body.toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new RequestError(400, `the request body is not valid JSON: ${(error as Error).message}`, 'INVALID_JSON');
  }
}

function tooLarge(limit: number): RequestError {
  return new RequestError(413, `the request body is larger than ${limit / 1024 / 1024} MiB`);
}
