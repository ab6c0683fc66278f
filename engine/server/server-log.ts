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
import { createRecordLog, passes, type RecordLog } from '../log-feed.js';

export type ServerLogLevel = LogRecord['level'] | 'silent';

export interface ServerLog extends RecordLog {
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
  // Engine lines carry the time the engine logged them (set just before each call), not the time
  // they crossed from the worker.
  let engineTime = '';
  const engineLogger = pino(
    { level: options.level, base: { name: 'ferry' }, timestamp: () => `,"time":${JSON.stringify(engineTime)}` },
    destination,
  );
  const log = createRecordLog(options.level, redactFields, (record) =>
    logger[record.level](record.fields ?? {}, record.message),
  );
  return {
    ...log,
    printEngineRecord(record) {
      if (!passes(record.level, options.level)) return;
      engineTime = record.at;
      const fields = record.fields === undefined ? {} : redactFields(record.fields);
      engineLogger[record.level](fields, redactUris(record.message));
    },
  };
}

function redactFields(fields: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(redactUris(JSON.stringify(fields))) as Record<string, unknown>;
}
