// The server's own log: pino, as JSON lines (--log-json, for collectors) or the readable form of
// log-format.ts, on standard output only (Ferry writes no log file; redirect or use the service
// manager's journal to keep one). Every record also reaches listeners (the recent-log buffer and the
// UI's event stream). Messages and string fields are redacted first: no password reaches a log.
// Records logged elsewhere (the engine, whose worker then writes nothing itself) are printed here too,
// so standard output has one format throughout.
import pino, { type DestinationStream } from 'pino';
import type { LogRecord } from '../protocol.js';
import { formatLogLine } from './log-format.js';
import { redactUris } from '../redact.js';

export type ServerLogLevel = LogRecord['level'] | 'silent';

export interface ServerLog {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** Feeds every record at or above the level to `listener`; returns the unsubscribe function. */
  onRecord(listener: (record: LogRecord) => void): () => void;
  /**
   * Prints an engine record (EngineEvent `log`) in this log's format, named `ferry` and with its own
   * time, as the engine's own lines were. Listeners are not fed: they get it from the engine.
   */
  printEngineRecord(record: LogRecord): void;
}

export interface ServerLogOptions {
  level: ServerLogLevel;
  json: boolean;
  /** Where lines go; standard output unless set (tests). */
  destination?: DestinationStream;
}

const levelRank: Record<LogRecord['level'], number> = { debug: 20, info: 30, warn: 40, error: 50 };

export function createServerLog(options: ServerLogOptions): ServerLog {
  const stdout = options.destination ?? pino.destination({ dest: 1, sync: true });
  const color = options.destination === undefined && process.stdout.isTTY === true && !process.env.NO_COLOR;
  const destination: DestinationStream = options.json
    ? stdout
    : { write: (line: string) => void stdout.write(formatLogLine(line, { color })) };
  const logger = pino(
    { level: options.level, base: { name: 'server' }, timestamp: pino.stdTimeFunctions.isoTime },
    destination,
  );
  const threshold = options.level === 'silent' ? Infinity : levelRank[options.level];
  const listeners = new Set<(record: LogRecord) => void>();
  // Engine lines carry the time the engine logged them (set just before each call), not the time
  // they crossed from the worker.
  let engineTime = '';
  const engineLogger = pino(
    { level: options.level, base: { name: 'ferry' }, timestamp: () => `,"time":${JSON.stringify(engineTime)}` },
    destination,
  );

  const write = (level: LogRecord['level'], message: string, fields?: Record<string, unknown>): void => {
    if (levelRank[level] < threshold) return;
    const record: LogRecord = { level, message: redactUris(message), at: new Date().toISOString() };
    if (fields !== undefined) record.fields = redactFields(fields);
    logger[level](record.fields ?? {}, record.message);
    for (const listener of listeners) listener(record);
  };

  return {
    debug: (message, fields) => write('debug', message, fields),
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
    onRecord(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    printEngineRecord(record) {
      if (levelRank[record.level] < threshold) return;
      engineTime = record.at;
      const fields = record.fields === undefined ? {} : redactFields(record.fields);
      engineLogger[record.level](fields, redactUris(record.message));
    },
  };
}

function redactFields(fields: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(redactUris(JSON.stringify(fields))) as Record<string, unknown>;
}
