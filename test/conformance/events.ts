// expectEvents. These describe the commands a driver sends, not server behaviour, so by default
// they are only counted; with --events the command monitoring expectations are checked against
// what each client recorded (CMAP and SDAM expectations are always skipped).
import type { EntityMap } from './entities.js';
import { RunnerError } from './errors.js';
import { matchValue, type Mismatch } from './matcher.js';
import { isDocument } from './values.js';
import type { Doc } from './types.js';

export interface EventTally {
  /** expectedEventsForClient blocks not checked. */
  blocks: number;
  /** Individual expected events inside those blocks. */
  events: number;
}

export function countEvents(expectEvents: Doc[] | undefined): EventTally {
  const tally: EventTally = { blocks: 0, events: 0 };
  for (const block of expectEvents ?? []) {
    tally.blocks += 1;
    tally.events += Array.isArray(block.events) ? block.events.length : 0;
  }
  return tally;
}

function matchOne(
  expected: unknown,
  actual: { type: string; commandName: string; databaseName?: string; command?: Doc; reply?: Doc },
  path: string,
  entities: EntityMap,
): Mismatch {
  if (!isDocument(expected) || Object.keys(expected).length !== 1)
    throw new RunnerError(`${path}: malformed expected event`);
  const type = Object.keys(expected)[0];
  const spec = expected[type];
  if (!isDocument(spec)) throw new RunnerError(`${path}: malformed expected event`);
  if (type !== actual.type) return `${path}: expected ${type}, got ${actual.type} (${actual.commandName})`;
  if (typeof spec.commandName === 'string' && spec.commandName !== actual.commandName)
    return `${path}: expected command ${spec.commandName}, got ${actual.commandName}`;
  if (typeof spec.databaseName === 'string' && spec.databaseName !== actual.databaseName)
    return `${path}: expected database ${spec.databaseName}, got ${String(actual.databaseName)}`;
  if (spec.command !== undefined) {
    const mismatch = matchValue(spec.command, actual.command, { root: true, path: `${path}.command`, entities });
    if (mismatch) return mismatch;
  }
  if (spec.reply !== undefined) {
    const mismatch = matchValue(spec.reply, actual.reply, { root: true, path: `${path}.reply`, entities });
    if (mismatch) return mismatch;
  }
  return null;
}

/** Check command monitoring expectations; returns the first mismatch and the blocks not checked. */
export function checkEvents(
  expectEvents: Doc[] | undefined,
  entities: EntityMap,
): { mismatch: Mismatch; skipped: EventTally } {
  const skipped: EventTally = { blocks: 0, events: 0 };
  for (const [index, block] of (expectEvents ?? []).entries()) {
    const expected = Array.isArray(block.events) ? block.events : [];
    if ((block.eventType ?? 'command') !== 'command') {
      skipped.blocks += 1;
      skipped.events += expected.length;
      continue;
    }
    const client = entities.client(String(block.client));
    const actual = client.events;
    const where = `expectEvents[${index}] (${String(block.client)})`;
    const ignoreExtra = block.ignoreExtraEvents === true;
    if (actual.length < expected.length || (!ignoreExtra && actual.length !== expected.length))
      return {
        mismatch: `${where}: expected ${expected.length} event(s), got ${actual.length}: [${actual.map((e) => `${e.type}:${e.commandName}`).join(', ')}]`,
        skipped,
      };
    for (let i = 0; i < expected.length; i++) {
      const mismatch = matchOne(expected[i], actual[i], `${where}[${i}]`, entities);
      if (mismatch) return { mismatch, skipped };
    }
  }
  return { mismatch: null, skipped };
}
