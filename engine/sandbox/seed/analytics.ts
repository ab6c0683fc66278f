// The `analytics` database: a capped event log and visitor sessions that expire through a TTL index.
import { BSONRegExp, Int32, Long, Timestamp, type Document } from 'mongodb';
import { SeededRandom } from './random.js';
import type { DemoDatabase } from './types.js';
import { PRODUCT_NOUNS } from './words.js';

const FIRST_EVENT = new Date('2024-05-01T00:00:00Z');
const EVENT_TYPES = ['page_view', 'page_view', 'page_view', 'search', 'add_to_cart', 'checkout', 'login'];
const PAGES = ['/', '/products', '/cart', '/checkout', '/account', '/help'];
const BROWSERS = ['Firefox', 'Chrome', 'Safari', 'Edge'];
const SYSTEMS = ['Linux', 'macOS', 'Windows', 'Android', 'iOS'];

/** More events are inserted than the capped collection keeps, so its oldest ones have been evicted. */
export const ANALYTICS_SIZES = { eventsInserted: 12_000, eventsKept: 10_000, sessions: 3000 } as const;

export function analyticsDatabase(): DemoDatabase {
  const sessions = makeSessions(new SeededRandom(201), ANALYTICS_SIZES.sessions);
  return {
    name: 'analytics',
    collections: [
      {
        name: 'events',
        options: { capped: true, size: 16 * 1024 * 1024, max: ANALYTICS_SIZES.eventsKept },
        documents: makeEvents(new SeededRandom(202), ANALYTICS_SIZES.eventsInserted, sessions),
        indexes: [{ key: { type: 1, at: -1 } }],
      },
      {
        name: 'sessions',
        documents: sessions,
        indexes: [
          // Demo sessions expire in 2099, so the TTL monitor leaves them alone.
          { key: { expiresAt: 1 }, name: 'expire_sessions', expireAfterSeconds: 0 },
          { key: { userId: 1, startedAt: -1 } },
        ],
      },
    ],
  };
}

function makeSessions(random: SeededRandom, count: number): Document[] {
  const sessions: Document[] = [];
  for (let i = 0; i < count; i++) {
    const startedAt = random.dateWithin(FIRST_EVENT, 60);
    sessions.push({
      _id: random.uuid(),
      userId: random.chance(0.35) ? null : random.objectId(random.dateWithin(FIRST_EVENT, 30)),
      startedAt,
      expiresAt: random.dateWithin(new Date('2099-01-01T00:00:00Z'), 365),
      device: { os: random.pick(SYSTEMS), browser: random.pick(BROWSERS), mobile: random.chance(0.45) },
      pageViews: random.int(1, 80),
      bytesTransferred: Long.fromNumber(random.int(10_000, 2_000_000_000) * 3),
      ip: `10.${random.int(0, 255)}.${random.int(0, 255)}.${random.int(1, 254)}`,
    });
  }
  return sessions;
}

function makeEvents(random: SeededRandom, count: number, sessions: readonly Document[]): Document[] {
  const events: Document[] = [];
  let at = FIRST_EVENT.getTime();
  for (let i = 0; i < count; i++) {
    at += random.int(50, 20_000);
    const session = random.pick(sessions);
    const type = random.pick(EVENT_TYPES);
    const event: Document = {
      _id: random.objectId(new Date(at)),
      at: new Date(at),
      receivedAt: new Timestamp({ t: Math.floor(at / 1000), i: (i % 1000) + 1 }),
      type,
      sessionId: session._id,
      userId: session.userId,
      page: type === 'page_view' ? random.pick(PAGES) : null,
      durationMs: new Int32(random.int(1, 5000)),
      sequence: Long.fromNumber(i + 1),
    };
    if (type === 'search') {
      const term = random.pick(PRODUCT_NOUNS).toLowerCase();
      event.search = { term, pattern: new BSONRegExp(`^${term.slice(0, 3)}`, 'i'), results: random.int(0, 40) };
    }
    if (type === 'add_to_cart') event.cart = { items: random.int(1, 6), value: random.amount(2, 400) };
    events.push(event);
  }
  return events;
}
