import { Query } from 'mingo';
import { describe, expect, it } from 'vitest';
import {
  changeStreamMatch,
  createNamespaceFilter,
  selectsEvent,
  type EventNamespace,
  type NamespaceFilterOptions,
} from '../../engine/core/namespaces.js';

describe('namespace selection', () => {
  it('selects everything but internal, metadata and system namespaces when both lists are empty', () => {
    const filter = createNamespaceFilter();
    expect(filter.isSelected('sales', 'orders')).toBe(true);
    expect(filter.isSelected('admin', 'users')).toBe(false);
    expect(filter.isSelected('config', 'settings')).toBe(false);
    expect(filter.isSelected('local', 'oplog.rs')).toBe(false);
    expect(filter.isSelected('ferry_internal', 'checkpoints')).toBe(false);
    expect(filter.isSelected('sales', 'system.views')).toBe(false);
    expect(filter.isSelected('sales', 'system.buckets.metrics')).toBe(false);
    expect(filter.isDatabaseSelected('sales')).toBe(true);
    expect(filter.isDatabaseSelected('local')).toBe(false);
  });

  it('never copies a configured metadata database', () => {
    const filter = createNamespaceFilter({ metadataDb: 'ferry_meta' });
    expect(filter.isSelected('ferry_meta', 'checkpoints')).toBe(false);
    expect(filter.isSelected('ferry_internal', 'checkpoints')).toBe(true);
  });

  it('denies everything an include list does not name', () => {
    const filter = createNamespaceFilter({ include: ['sales.*', 'hr.people'] });
    expect(filter.isSelected('sales', 'orders')).toBe(true);
    expect(filter.isSelected('hr', 'people')).toBe(true);
    expect(filter.isSelected('hr', 'salaries')).toBe(false);
    expect(filter.isSelected('web', 'sessions')).toBe(false);
    expect(filter.isDatabaseSelected('hr')).toBe(true);
    expect(filter.isDatabaseSelected('web')).toBe(false);
  });

  it('lets exclude win over include', () => {
    const filter = createNamespaceFilter({ include: ['sales.*', 'hr.people'], exclude: ['sales.audit', 'hr.*'] });
    expect(filter.isSelected('sales', 'orders')).toBe(true);
    expect(filter.isSelected('sales', 'audit')).toBe(false);
    expect(filter.isSelected('hr', 'people')).toBe(false);
    expect(filter.isDatabaseSelected('hr')).toBe(false);
    expect(filter.isDatabaseSelected('sales')).toBe(true);
  });

  it('allows everything not excluded when there is only an exclude list', () => {
    const filter = createNamespaceFilter({ exclude: ['logs.*', 'sales.tmp'] });
    expect(filter.isSelected('logs', 'app')).toBe(false);
    expect(filter.isSelected('sales', 'tmp')).toBe(false);
    expect(filter.isSelected('sales', 'orders')).toBe(true);
    expect(filter.isSelected('anything', 'else')).toBe(true);
  });

  it('reads collection names with dots: the database ends at the first dot', () => {
    const filter = createNamespaceFilter({ include: ['app.events.2024'] });
    expect(filter.isSelected('app', 'events.2024')).toBe(true);
    expect(filter.isSelected('app', 'events')).toBe(false);
  });

  it('matches names exactly, case included', () => {
    const filter = createNamespaceFilter({ include: ['Sales.Orders'] });
    expect(filter.isSelected('Sales', 'Orders')).toBe(true);
    expect(filter.isSelected('sales', 'orders')).toBe(false);
  });

  it.each([
    ['sales', /write sales\.\* to include the whole database/],
    ['*.orders', /wildcards are only allowed as db\.\*/],
    ['sales.ord*', /wildcards are only allowed as db\.\*/],
    ['sales.', /"" is not a collection name/],
    ['.orders', /is not a database name/],
    ['sales.$cmd', /is not a collection name/],
    ['my db.orders', /is not a database name/],
    ['admin.*', /never copied/],
    ['ferry_internal.checkpoints', /never copied/],
    ['sales.system.views', /system collections are never copied/],
  ])('refuses the include pattern %s with a remedy', (pattern, why) => {
    let caught: unknown;
    try {
      createNamespaceFilter({ include: [pattern] });
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'INVALID_NAMESPACE_PATTERN', message: expect.stringMatching(why) });
    expect(caught).toHaveProperty('remedy', expect.stringContaining('db.collection or db.*'));
  });

  it('accepts excluding what is never copied anyway', () => {
    expect(() => createNamespaceFilter({ exclude: ['admin.*', 'sales.system.views'] })).not.toThrow();
  });
});

describe('change events the engine must see', () => {
  const filter = createNamespaceFilter({ include: ['sales.*', 'hr.people'], exclude: ['sales.audit'] });

  it('keeps renames into and out of scope', () => {
    const out = { operationType: 'rename', ns: { db: 'sales', coll: 'orders' }, to: { db: 'web', coll: 'x' } };
    const into = { operationType: 'rename', ns: { db: 'web', coll: 'x' }, to: { db: 'hr', coll: 'people' } };
    const outside = { operationType: 'rename', ns: { db: 'web', coll: 'x' }, to: { db: 'web', coll: 'y' } };
    expect(selectsEvent(filter, out)).toBe(true);
    expect(selectsEvent(filter, into)).toBe(true);
    expect(selectsEvent(filter, outside)).toBe(false);
  });

  it('keeps dropDatabase of a database that holds selected collections', () => {
    expect(selectsEvent(filter, { operationType: 'dropDatabase', ns: { db: 'hr' } })).toBe(true);
    expect(selectsEvent(filter, { operationType: 'dropDatabase', ns: { db: 'web' } })).toBe(false);
  });

  it('drops events of excluded and system collections', () => {
    expect(selectsEvent(filter, { operationType: 'insert', ns: { db: 'sales', coll: 'audit' } })).toBe(false);
    expect(selectsEvent(filter, { operationType: 'create', ns: { db: 'sales', coll: 'system.js' } })).toBe(false);
    expect(selectsEvent(filter, { operationType: 'insert', ns: { db: 'sales', coll: 'orders' } })).toBe(true);
  });

  it('offers no $match when everything is selected', () => {
    expect(changeStreamMatch(createNamespaceFilter())).toBeUndefined();
    expect(changeStreamMatch(createNamespaceFilter({ metadataDb: 'meta' }))).toBeUndefined();
  });
});

describe('the server-side $match', () => {
  const databases = ['sales', 'hr', 'web', 'admin', 'config', 'local', 'ferry_internal'];
  const collections = ['orders', 'audit', 'people', 'salaries', 'events.2024', 'system.views', 'system.js'];
  const dml = ['insert', 'update', 'replace', 'delete', 'drop', 'create', 'createIndexes', 'modify'];

  function* events(): Generator<EventNamespace> {
    for (const db of databases) {
      yield { operationType: 'dropDatabase', ns: { db } };
      for (const coll of collections) {
        for (const operationType of dml) yield { operationType, ns: { db, coll } };
        for (const toDb of ['sales', 'web', 'admin']) {
          for (const toColl of ['orders', 'audit', 'system.views', 'x']) {
            yield { operationType: 'rename', ns: { db, coll }, to: { db: toDb, coll: toColl } };
          }
        }
      }
    }
  }

  const filters: Record<string, NamespaceFilterOptions> = {
    'an include list': { include: ['sales.*', 'hr.people'] },
    'an exclude list': { exclude: ['web.*', 'sales.audit'] },
    'both lists': {
      include: ['sales.*', 'hr.people', 'hr.salaries', 'web.events.2024'],
      exclude: ['sales.audit', 'hr.*'],
    },
    'a collection-only include list': { include: ['sales.orders'] },
    'a metadata database named like a user database': { exclude: ['web.*'], metadataDb: 'hr' },
  };

  for (const [name, options] of Object.entries(filters)) {
    it(`keeps exactly the events the filter selects, with ${name}`, () => {
      const filter = createNamespaceFilter(options);
      const match = changeStreamMatch(filter);
      expect(match).toBeDefined();
      const query = new Query(match ?? {});
      const all = [...events()];
      const kept = all.filter((event) => query.test({ ...event }));
      expect(all.filter((event) => query.test({ ...event }) !== selectsEvent(filter, event))).toEqual([]);
      expect(kept.length).toBeGreaterThan(0);
      expect(kept.length).toBeLessThan(all.length);
    });
  }

  it('puts the rename destination and dropDatabase in their own clauses', () => {
    const match = changeStreamMatch(createNamespaceFilter({ include: ['sales.orders'] }));
    expect(match).toMatchObject({
      $or: [
        { $and: expect.any(Array) },
        { operationType: 'rename', $and: expect.any(Array) },
        { operationType: 'dropDatabase', 'ns.db': { $in: ['sales'] } },
      ],
    });
  });
});
