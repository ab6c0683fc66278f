// Which namespaces a migration copies. Patterns are `db.*` or `db.coll` (the collection may contain
// dots: the database ends at the first one). As in PCSM: exclude wins over include, an include list
// denies everything it does not name, and empty lists allow everything. On top of that Ferry never
// copies MongoDB's internal databases, its own metadata database, or `system.*` collections.
//
// PCSM filters change events client-side only, so the whole cluster's stream crosses the network;
// changeStreamMatch() lets the server drop unselected events first.
import type { Document } from 'mongodb';
import { FerryError } from './errors.js';

const internalDatabases: readonly string[] = ['admin', 'config', 'local'];
const defaultMetadataDb = 'ferry_internal';

export interface NamespaceFilterOptions {
  include?: readonly string[];
  exclude?: readonly string[];
  /** Ferry's own database on the target (checkpoint, heartbeat); never copied from the source. */
  metadataDb?: string;
}

/** A set of `db.*` and `db.coll` patterns. */
export interface NamespacePatterns {
  wholeDatabases: Set<string>;
  collections: Map<string, Set<string>>;
}

export interface NamespaceFilter {
  readonly include: NamespacePatterns;
  readonly exclude: NamespacePatterns;
  /** Databases no event or document is ever taken from: internal, metadata, and excluded `db.*`. */
  readonly deniedDatabases: readonly string[];
  isSelected(db: string, coll: string): boolean;
  /** Whether anything in the database could be selected (decides whether dropDatabase concerns us). */
  isDatabaseSelected(db: string): boolean;
}

/** Builds the filter; a pattern that cannot be read throws a FerryError saying how to write it. */
export function createNamespaceFilter(options: NamespaceFilterOptions = {}): NamespaceFilter {
  const metadataDb = options.metadataDb ?? defaultMetadataDb;
  const include = parsePatterns(options.include ?? [], 'include', metadataDb);
  const exclude = parsePatterns(options.exclude ?? [], 'exclude', metadataDb);
  const denied = new Set([...internalDatabases, metadataDb, ...exclude.wholeDatabases]);
  const includesAll = include.wholeDatabases.size === 0 && include.collections.size === 0;

  const isDatabaseSelected = (db: string): boolean =>
    !denied.has(db) && (includesAll || include.wholeDatabases.has(db) || include.collections.has(db));

  return {
    include,
    exclude,
    deniedDatabases: [...denied],
    isDatabaseSelected,
    isSelected(db, coll) {
      if (!isDatabaseSelected(db) || isSystemCollection(coll)) return false;
      if (exclude.collections.get(db)?.has(coll)) return false;
      return includesAll || include.wholeDatabases.has(db) || include.collections.get(db)?.has(coll) === true;
    },
  };
}

function isSystemCollection(coll: string): boolean {
  return coll.startsWith('system.');
}

/** The namespace fields of a change event, as the dispatcher reads them. */
export interface EventNamespace {
  operationType: string;
  ns?: { db: string; coll?: string };
  /** The destination of a rename. */
  to?: { db: string; coll: string };
}

/**
 * Whether the engine must see a change event: events on selected collections, renames into or out
 * of scope (the target must gain or lose the collection), and dropDatabase of a database that may
 * hold selected collections (it has no ns.coll). The client-side twin of changeStreamMatch().
 */
export function selectsEvent(filter: NamespaceFilter, event: EventNamespace): boolean {
  const { ns, to } = event;
  if (!ns) return false;
  if (ns.coll === undefined) return event.operationType === 'dropDatabase' && filter.isDatabaseSelected(ns.db);
  if (filter.isSelected(ns.db, ns.coll)) return true;
  return event.operationType === 'rename' && to !== undefined && filter.isSelected(to.db, to.coll);
}

/**
 * A `$match` for a cluster-wide change stream that keeps exactly the events selectsEvent() accepts,
 * or undefined when the operator selected everything: the server already leaves out admin, config
 * and local, and the rest (the metadata database, system collections) is too rare on a source to be
 * worth a filter on every event. The dispatcher applies selectsEvent() either way.
 */
export function changeStreamMatch(filter: NamespaceFilter): Document | undefined {
  const { include, exclude } = filter;
  const lists = [include.wholeDatabases, include.collections, exclude.wholeDatabases, exclude.collections];
  if (lists.every((list) => list.size === 0)) return undefined;
  return {
    $or: [
      selectedCollection(filter, 'ns'),
      { operationType: 'rename', ...selectedCollection(filter, 'to') },
      { operationType: 'dropDatabase', 'ns.coll': { $exists: false }, 'ns.db': selectedDatabase(filter) },
    ],
  };
}

function selectedDatabase(filter: NamespaceFilter): Document {
  const { include } = filter;
  const condition: Document = { $nin: filter.deniedDatabases };
  const included = [...include.wholeDatabases, ...include.collections.keys()];
  if (included.length > 0) condition.$in = [...new Set(included)];
  return condition;
}

/** Conditions on `<field>.db` and `<field>.coll` that hold exactly when isSelected(db, coll) does. */
function selectedCollection(filter: NamespaceFilter, field: 'ns' | 'to'): Document {
  const db = `${field}.db`;
  const coll = `${field}.coll`;
  const { include, exclude } = filter;
  const conditions: Document[] = [
    { [db]: { $nin: filter.deniedDatabases } },
    { [coll]: { $exists: true, $not: /^system\./ } },
  ];
  if (exclude.collections.size > 0) {
    conditions.push({
      $nor: [...exclude.collections].map(([name, colls]) => ({ [db]: name, [coll]: { $in: [...colls] } })),
    });
  }
  const includes: Document[] = [...include.collections].map(([name, colls]) => ({
    [db]: name,
    [coll]: { $in: [...colls] },
  }));
  if (include.wholeDatabases.size > 0) includes.unshift({ [db]: { $in: [...include.wholeDatabases] } });
  if (includes.length > 0) conditions.push({ $or: includes });
  return { $and: conditions };
}

// ---------------------------------------------------------------------------------------------------
// Parsing

// MongoDB's rules for database names, plus "*": a wildcard in the database part is not supported.
const databaseName = /^[^/\\.\s"$*<>:|?\0]{1,63}$/;

function parsePatterns(
  patterns: readonly string[],
  list: 'include' | 'exclude',
  metadataDb: string,
): NamespacePatterns {
  const parsed: NamespacePatterns = { wholeDatabases: new Set(), collections: new Map() };
  for (const pattern of patterns) {
    const { db, coll } = parsePattern(pattern, list);
    // Naming what is never copied in an include list would select nothing, silently: say so instead.
    if (list === 'include' && (internalDatabases.includes(db) || db === metadataDb)) {
      throw invalid(pattern, `the database ${db} is never copied (it belongs to MongoDB or to Ferry)`);
    }
    if (list === 'include' && coll !== '*' && isSystemCollection(coll)) {
      throw invalid(pattern, 'system collections are never copied; MongoDB rebuilds them from the data');
    }
    if (coll === '*') parsed.wholeDatabases.add(db);
    else {
      const colls = parsed.collections.get(db) ?? new Set<string>();
      parsed.collections.set(db, colls.add(coll));
    }
  }
  return parsed;
}

function parsePattern(pattern: string, list: string): { db: string; coll: string } {
  const dot = pattern.indexOf('.');
  if (dot < 0) {
    throw invalid(pattern, `write ${pattern}.* to ${list} the whole database`);
  }
  const db = pattern.slice(0, dot);
  const coll = pattern.slice(dot + 1);
  if (!databaseName.test(db)) {
    throw invalid(pattern, `"${db}" is not a database name (wildcards are only allowed as db.*)`);
  }
  if (coll === '' || coll.startsWith('$') || coll.includes('\0') || /^\s/.test(coll)) {
    throw invalid(pattern, `"${coll}" is not a collection name`);
  }
  if (coll !== '*' && coll.includes('*')) {
    throw invalid(pattern, 'wildcards are only allowed as db.*; list the collections one by one');
  }
  return { db, coll };
}

function invalid(pattern: string, why: string): FerryError {
  return new FerryError({
    code: 'INVALID_NAMESPACE_PATTERN',
    message: `invalid namespace pattern "${pattern}": ${why}`,
    remedy: 'Write namespaces as db.collection or db.*, for example sales.orders or sales.*.',
  });
}
