// What kind of namespace a listCollections entry is, and the create command that reproduces it on the
// target. Every source option is passed on as it is (PCSM copies an allow-list and silently drops the
// rest), so a target that cannot reproduce an option refuses loudly instead of diverging quietly. One
// option is changed: a clustered collection's expireAfterSeconds, relaxed like a TTL index so the
// target deletes nothing on its own while the source's deletes are still arriving, and restored at
// finalize (PCSM drops it for good).
import type { Document } from 'mongodb';
import type { NamespaceKind } from '../../protocol.js';
import type { OrderedDocument } from '../bson/ordered.js';
import { FerryError } from '../errors.js';
import { command, stringOf, subDocument, without } from './documents.js';
import { relaxedTtl } from './relaxed-index.js';

/** The kind of a listCollections entry. */
export function kindOf(entry: OrderedDocument): NamespaceKind {
  return kindOfOptions(stringOf(entry, 'type'), subDocument(entry, 'options') ?? new Map());
}

/** The kind of a namespace from its type ('collection', 'view', 'timeseries') and create options. */
export function kindOfOptions(type: string | undefined, options: OrderedDocument): NamespaceKind {
  if (type === 'timeseries' || options.has('timeseries')) return 'timeseries';
  if (type === 'view') return stringOf(options, 'viewOn')?.startsWith('system.buckets.') ? 'timeseries' : 'view';
  if (options.get('capped') === true) return 'capped';
  if (options.has('clusteredIndex')) return 'clustered';
  return 'collection';
}

/**
 * The create command for a collection or view with these source options (listCollections `options`,
 * or a create event's operationDescription, whose idIndex follows from the collation).
 */
export function createCommand(namespace: string, name: string, options: OrderedDocument): Document {
  if (options.has('timeseries') || stringOf(options, 'viewOn')?.startsWith('system.buckets.')) {
    throw timeseriesUnsupported(namespace);
  }
  const fields = without(options, 'idIndex');
  const ttl = fields.get('expireAfterSeconds');
  if (ttl !== undefined && fields.has('clusteredIndex')) fields.set('expireAfterSeconds', relaxedTtl(ttl));
  return command('create', name, fields);
}

/** The original TTL a clustered collection keeps in the catalog while the target holds the relaxed one. */
export function clusteredTtlOf(options: OrderedDocument): unknown {
  return options.has('clusteredIndex') ? options.get('expireAfterSeconds') : undefined;
}

/** The collection's default collation, which its indexes would inherit. */
export function collationOf(options: OrderedDocument): OrderedDocument | undefined {
  const collation = subDocument(options, 'collation');
  return collation && stringOf(collation, 'locale') !== 'simple' ? collation : undefined;
}

export function timeseriesUnsupported(namespace: string): FerryError {
  return new FerryError({
    code: 'TIMESERIES_UNSUPPORTED',
    message: `${namespace} is a time series collection, which change streams cannot keep in step`,
    remedy:
      'Exclude it from the migration and copy it separately (for example with mongodump/mongorestore at cutover).',
  });
}
