import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../../engine/protocol.js';
import { LogBuffer } from '../../engine/server/log-buffer.js';
import { formatLogLine } from '../../engine/server/log-format.js';
import { createServerLog } from '../../engine/server/server-log.js';

function collector(): { lines: string[]; write(line: string): void } {
  const lines: string[] = [];
  return { lines, write: (line: string) => void lines.push(line) };
}

describe('the server log', () => {
  it('writes pino JSON lines with --log-json, and never a password', () => {
    const out = collector();
    const log = createServerLog({ level: 'info', json: true, destination: out });
    log.info('connected to mongodb://admin:hunter2@db.example:27017/?replicaSet=rs0', { uri: 'mongodb://u:pw@h:1/' });
    log.debug('not at this level');
    expect(out.lines).toHaveLength(1);
    const record = JSON.parse(out.lines[0]) as Record<string, unknown>;
    expect(record).toMatchObject({
      level: 30,
      name: 'server',
      msg: 'connected to mongodb://admin:****@db.example:27017/?replicaSet=rs0',
      uri: 'mongodb://u:****@h:1/',
    });
    expect(out.lines[0]).not.toContain('hunter2');
  });

  it('writes readable lines otherwise, and feeds records to listeners', () => {
    const out = collector();
    const log = createServerLog({ level: 'debug', json: false, destination: out });
    const records: LogRecord[] = [];
    log.onRecord((record) => records.push(record));
    log.warn('slow request', { path: '/status', ms: 1200, note: 'two words' });
    expect(out.lines[0]).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} WARN {2}server {2}slow request {2}path=\/status ms=1200 note="two words"\n$/,
    );
    expect(records).toEqual([
      {
        level: 'warn',
        message: 'slow request',
        at: expect.any(String),
        fields: { path: '/status', ms: 1200, note: 'two words' },
      },
    ]);
  });

  it("prints the engine's records in the chosen format, with their own time, without feeding listeners", () => {
    const engineRecord: LogRecord = {
      level: 'info',
      message: 'migration reset from mongodb://u:pw@h:1/',
      at: '2026-01-02T03:04:05.678Z',
      fields: { runId: 'r1', note: 'two words' },
    };
    const readable = collector();
    const log = createServerLog({ level: 'info', json: false, destination: readable });
    const fed: LogRecord[] = [];
    log.onRecord((record) => fed.push(record));
    log.printEngineRecord(engineRecord);
    log.printEngineRecord({ level: 'debug', message: 'below the level', at: engineRecord.at });
    expect(readable.lines).toEqual([
      '03:04:05.678 INFO  ferry  migration reset from mongodb://u:****@h:1/  runId=r1 note="two words"\n',
    ]);
    expect(fed).toEqual([]);

    const json = collector();
    createServerLog({ level: 'info', json: true, destination: json }).printEngineRecord(engineRecord);
    expect(json.lines).toHaveLength(1);
    expect(JSON.parse(json.lines[0])).toEqual({
      level: 30,
      time: '2026-01-02T03:04:05.678Z',
      name: 'ferry',
      runId: 'r1',
      note: 'two words',
      msg: 'migration reset from mongodb://u:****@h:1/',
    });
  });

  it('formats any pino line and passes other text through', () => {
    expect(formatLogLine('{"level":50,"time":"2026-01-02T03:04:05.678Z","name":"ferry","msg":"boom","code":"X"}')).toBe(
      '03:04:05.678 ERROR ferry  boom  code=X\n',
    );
    expect(formatLogLine('plain text')).toBe('plain text\n');
  });
});

describe('the recent-log buffer', () => {
  const record = (level: LogRecord['level'], message: string): LogRecord => ({ level, message, at: '' });

  it('keeps the newest records and filters by level', () => {
    const buffer = new LogBuffer(3);
    for (const [index, level] of (['info', 'debug', 'warn', 'error', 'info'] as const).entries())
      buffer.push(record(level, `m${index}`));
    expect(buffer.recent().map((r) => r.message)).toEqual(['m2', 'm3', 'm4']);
    expect(buffer.recent({ level: 'warn' }).map((r) => r.message)).toEqual(['m2', 'm3']);
    expect(buffer.recent({ limit: 1 }).map((r) => r.message)).toEqual(['m4']);
    expect(buffer.recent({ limit: 0 })).toEqual([]);
  });
});
