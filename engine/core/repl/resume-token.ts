// Cluster times from change stream resume tokens. A token's `_data` is a KeyString whose first value
// is the event's cluster time: type byte 0x82 (Timestamp), then 8 bytes big-endian, seconds then
// increment. An idle stream's postBatchResumeToken has the same shape, which is how Ferry tracks
// progress on a quiet source without writing no-ops to it (PCSM runs appendOplogNote every second).
import type { OpTime } from '../../protocol.js';
import { FerryError } from '../errors.js';

const TIMESTAMP_TYPE = 0x82;

/** The cluster time a resume token (`{_data: hex}`, as a plain object or an OrderedDocument) points at. */
export function opTimeOfResumeToken(token: unknown): OpTime {
  const bytes = tokenBytes(token);
  if (bytes.length < 9 || bytes[0] !== TIMESTAMP_TYPE) {
    throw badToken('it does not start with a cluster time');
  }
  return { t: bytes.readUInt32BE(1), i: bytes.readUInt32BE(5) };
}

/**
 * Orders two tokens of the same stream. KeyStrings are built so that byte order is event order, so
 * tokens of events sharing a cluster time (a transaction's operations) are ordered as well.
 */
export function compareResumeTokens(a: unknown, b: unknown): number {
  return Buffer.compare(tokenBytes(a), tokenBytes(b));
}

export function compareOpTimes(a: OpTime, b: OpTime): number {
  return a.t - b.t || a.i - b.i;
}

/** PCSM's notation, `"T.I"`, used by its /status and by Ferry's logs. */
export function formatOpTime(opTime: OpTime): string {
  return `${opTime.t}.${opTime.i}`;
}

function tokenBytes(token: unknown): Buffer {
  const data = token instanceof Map ? token.get('_data') : isRecord(token) ? token._data : undefined;
  if (typeof data !== 'string' || data.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(data)) {
    throw badToken('its _data is not a hex string');
  }
  return Buffer.from(data, 'hex');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function badToken(why: string): FerryError {
  return new FerryError({
    code: 'BAD_RESUME_TOKEN',
    message: `unreadable change stream resume token: ${why}`,
    remedy: 'The source must be MongoDB 4.2 or later; report this if it is.',
  });
}
