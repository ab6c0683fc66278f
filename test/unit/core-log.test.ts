import { afterEach, describe, expect, it } from 'vitest';
import type { LogRecord } from '../../engine/protocol.js';
import { createEngineLog } from '../../engine/core/log.js';

function collector(): { lines: string[]; write(line: string): void } {
  const lines: string[] = [];
  return { lines, write: (line: string) => void lines.push(line) };
}

const savedLevel = process.env.FERRY_LOG_LEVEL;

afterEach(() => {
  if (savedLevel === undefined) delete process.env.FERRY_LOG_LEVEL;
  else process.env.FERRY_LOG_LEVEL = savedLevel;
});

describe("the engine's log", () => {
  it("takes its level from its options only: FERRY_LOG_LEVEL is the host's to resolve", () => {
    process.env.FERRY_LOG_LEVEL = 'debug';
    const quiet = collector();
    createEngineLog({ level: 'warn', destination: quiet }).info('not at warn');
    expect(quiet.lines).toEqual([]);

    process.env.FERRY_LOG_LEVEL = 'silent';
    const chatty = collector();
    createEngineLog({ level: 'info', destination: chatty }).info('at info');
    expect(chatty.lines).toHaveLength(1);
    expect(JSON.parse(chatty.lines[0])).toMatchObject({ level: 30, name: 'ferry', msg: 'at info' });
  });

  it('with output none writes no line of its own and still feeds every record to its listeners', () => {
    const out = collector();
    const log = createEngineLog({ level: 'debug', output: 'none', destination: out });
    const records: LogRecord[] = [];
    log.onRecord((record) => records.push(record));
    log.warn('connected to mongodb://admin:hunter2@db.example:27017/', { attempt: 2 });
    log.debug('details');
    expect(out.lines).toEqual([]);
    expect(records).toEqual([
      {
        level: 'warn',
        message: 'connected to mongodb://admin:****@db.example:27017/',
        at: expect.any(String),
        fields: { attempt: 2 },
      },
      { level: 'debug', message: 'details', at: expect.any(String) },
    ]);
  });
});
