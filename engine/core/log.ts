// The engine's log: pino for the process output (JSON lines, a collector can ship them) and a feed of
// LogRecords for the UI. A host that prints the records itself (`ferry serve`, in its own format)
// turns the pino output off and keeps the feed. The level is the host's to decide: the engine reads
// no environment, so a server's order (flags, environment, file, defaults) is the only one.
// Every message and field passes through redaction first, so a connection string that found its way
// into an error message never reaches a log with its password. Fields are reduced to JSON values,
// because records cross a worker boundary by structured clone and end up in JSON logs: a BSON
// Timestamp is shown as its "T.I" form, an Error as its redacted message.
import pino, { type DestinationStream, type Logger } from 'pino';
import { createRecordLog, type LogLevel, type RecordLog } from '../log-feed.js';
import { redactUris } from './errors.js';
import type { EngineLog } from './parts.js';

export type { LogLevel } from '../log-feed.js';
/** Where the engine's own lines go: pino JSON lines on standard output, or nowhere (listeners only). */
export type LogOutput = 'stdout' | 'none';

export interface EngineLogOptions {
  /** The lowest level written and fed to listeners; `info` unless set. */
  level?: LogLevel | 'silent';
  /** `stdout` unless set; with `none` records reach only the listeners. */
  output?: LogOutput;
  /** Where pino writes instead of standard output (tests). */
  destination?: DestinationStream;
}

export interface EngineLogger extends EngineLog, RecordLog {}

export function createEngineLog(options: EngineLogOptions = {}): EngineLogger {
  const level = options.level ?? 'info';
  const logger: Logger | undefined =
    options.output === 'none'
      ? undefined
      : pino(
          { level, base: { name: 'ferry' }, timestamp: pino.stdTimeFunctions.isoTime },
          options.destination ?? pino.destination({ dest: 1, sync: false }),
        );
  return createRecordLog(level, jsonFields, (record) => logger?.[record.level](record.fields ?? {}, record.message));
}

function jsonFields(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) out[key] = jsonValue(value, 0);
  return out;
}

/** A JSON-safe, redacted copy of a field value (depth-limited: logs are no place for whole documents). */
function jsonValue(value: unknown, depth: number): unknown {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'string') return redactUris(value);
  if (typeof value === 'bigint') return value.toString();
  if (value === undefined) return null;
  if (value instanceof Error) return redactUris(value.message);
  if (value instanceof Date) return value.toISOString();
  if (depth >= 4) return '…';
  if (Array.isArray(value)) return value.slice(0, 50).map((item) => jsonValue(item, depth + 1));
  if (value instanceof Map) return jsonValue(Object.fromEntries(value), depth);
  const bsonType = (value as { _bsontype?: unknown })._bsontype;
  if (bsonType === 'Timestamp') {
    const { t, i } = value as { t: number; i: number };
    return `${t}.${i}`;
  }
  if (typeof bsonType === 'string') return redactUris(String(value));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = jsonValue(item, depth + 1);
    return out;
  }
  return redactUris(String(value));
}
