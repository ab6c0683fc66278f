// The most recent log records (engine and server), for GET /api/v1/logs: a UI that opens late, or a
// script that polls, still sees what happened just before. A ring: old records fall out.
import type { LogRecord } from '../protocol.js';

const levelRank: Record<LogRecord['level'], number> = { debug: 10, info: 20, warn: 30, error: 40 };

export class LogBuffer {
  private readonly records: LogRecord[] = [];

  constructor(private readonly capacity = 1000) {}

  push(record: LogRecord): void {
    this.records.push(record);
    if (this.records.length > this.capacity) this.records.shift();
  }

  /** The newest `limit` records at or above `level`, oldest first. */
  recent(options: { limit?: number; level?: LogRecord['level'] } = {}): LogRecord[] {
    const floor = levelRank[options.level ?? 'debug'];
    const matching = this.records.filter((record) => levelRank[record.level] >= floor);
    const limit = Math.max(0, options.limit ?? this.capacity);
    return limit === 0 ? [] : matching.slice(-limit);
  }
}

export function isLogLevel(value: string): value is LogRecord['level'] {
  return value in levelRank;
}
