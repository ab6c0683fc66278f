// What the engine's log and the server's log share (neither may import the other): log levels, the
// redacted LogRecord each call becomes, and the feed of records to listeners (the UI's event stream,
// the recent-log buffer). Each log decides where its lines are written.
import type { LogRecord } from './protocol.js';
import { redactUris } from './redact.js';

export type LogLevel = LogRecord['level'];

const levelRank: Record<LogLevel, number> = { debug: 20, info: 30, warn: 40, error: 50 };

/** Whether a record of `level` passes a log set to `threshold`. */
export function passes(level: LogLevel, threshold: LogLevel | 'silent'): boolean {
  return threshold !== 'silent' && levelRank[level] >= levelRank[threshold];
}

export interface RecordLog {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** Feeds every record at or above the level to `listener`; returns the unsubscribe function. */
  onRecord(listener: (record: LogRecord) => void): () => void;
}

/**
 * A log whose calls at or above `threshold` become LogRecords (message redacted, fields made safe by
 * `safeFields`), written by `write` and fed to every listener.
 */
export function createRecordLog(
  threshold: LogLevel | 'silent',
  safeFields: (fields: Record<string, unknown>) => Record<string, unknown>,
  write: (record: LogRecord) => void,
): RecordLog {
  const listeners = new Set<(record: LogRecord) => void>();
  const log = (level: LogLevel, message: string, fields?: Record<string, unknown>): void => {
    if (!passes(level, threshold)) return;
    const record: LogRecord = { level, message: redactUris(message), at: new Date().toISOString() };
    if (fields !== undefined) record.fields = safeFields(fields);
    write(record);
    for (const listener of listeners) listener(record);
  };
  return {
    debug: (message, fields) => log('debug', message, fields),
    info: (message, fields) => log('info', message, fields),
    warn: (message, fields) => log('warn', message, fields),
    error: (message, fields) => log('error', message, fields),
    onRecord(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
