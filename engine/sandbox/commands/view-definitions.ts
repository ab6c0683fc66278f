// Views as mongod keeps them: checked when defined (known stages, no writing stages, no cycles) and
// stored as documents of <db>.system.views ({_id: '<db>.<view>', viewOn, pipeline, collation?}).
import type { BsonDoc, BsonValue } from '../bson/values.js';
import { CommandError } from '../errors.js';
import type { Catalog } from '../storage/catalog.js';
import type { Collection } from '../storage/collection.js';
import type { WriteContext, Writer } from '../storage/writer.js';

export const SYSTEM_VIEWS = 'system.views';
const MAX_VIEW_DEPTH = 20;

const STAGES = new Set([
  '$addFields',
  '$bucket',
  '$bucketAuto',
  '$changeStream',
  '$changeStreamSplitLargeEvent',
  '$collStats',
  '$count',
  '$currentOp',
  '$densify',
  '$documents',
  '$facet',
  '$fill',
  '$geoNear',
  '$graphLookup',
  '$group',
  '$indexStats',
  '$limit',
  '$listLocalSessions',
  '$listSampledQueries',
  '$listSearchIndexes',
  '$listSessions',
  '$lookup',
  '$match',
  '$merge',
  '$out',
  '$planCacheStats',
  '$project',
  '$querySettings',
  '$redact',
  '$replaceRoot',
  '$replaceWith',
  '$sample',
  '$search',
  '$searchMeta',
  '$set',
  '$setWindowFields',
  '$shardedDataDistribution',
  '$skip',
  '$sort',
  '$sortByCount',
  '$unionWith',
  '$unset',
  '$unwind',
  '$vectorSearch',
]);

/** Refuses a definition mongod refuses: unknown or writing stages, a cycle, too deep a chain. */
export function checkViewDefinition(
  catalog: Catalog,
  db: string,
  name: string,
  viewOn: string,
  pipeline: BsonValue[],
): void {
  const ns = `${db}.${name}`;
  pipeline.forEach((stage, location) => {
    const stageName = stage instanceof Map ? stage.keys().next().value : undefined;
    if (stageName === undefined || !STAGES.has(stageName))
      throw new CommandError(40324, `Unrecognized pipeline stage name: '${stageName ?? ''}'`);
    if (stageName === '$out' || stageName === '$merge')
      throw new CommandError(
        'OptionNotSupportedOnView',
        `Invalid pipeline for view ${ns} :: caused by :: The aggregation stage ${stageName} in location ${location} of the pipeline cannot be used in the view definition of ${ns} because it writes to disk`,
      );
    if (stageName === '$changeStream')
      throw new CommandError(
        'OptionNotSupportedOnView',
        `Invalid pipeline for view ${ns} :: caused by :: $changeStream cannot be used in a view definition`,
      );
  });
  const path = [ns];
  let next = viewOn;
  for (;;) {
    path.push(`${db}.${next}`);
    if (next === name) throw new CommandError(5, `View cycle detected: ${[ns, ...path].join(' => ')}`);
    const source = catalog.get(db, next);
    if (!source?.isView) return;
    if (path.length > MAX_VIEW_DEPTH)
      throw new CommandError(165, `View depth too deep or view cycle detected. Maximum depth is ${MAX_VIEW_DEPTH}`);
    next = String(source.options.get('viewOn'));
  }
}

/**
 * Writes the view's definition to system.views (creating it, as mongod does). Like mongod, this write
 * is all the oplog records of a view's create or collMod: change streams report it as the view's event.
 */
export function recordViewDefinition(writer: Writer, view: Collection, ctx: WriteContext): void {
  const internal: WriteContext = { ...ctx, internal: true };
  const systemViews = writer.collectionForWrite(view.db, SYSTEM_VIEWS, internal);
  const definition: BsonDoc = new Map<string, BsonValue>([['_id', view.ns], ...view.options]);
  const existing = systemViews.findById(view.ns);
  if (existing) writer.replace(systemViews, existing, definition, internal);
  else writer.insert(systemViews, definition, internal);
}

/** Removes the view's definition from system.views: the only oplog entry (and change event) of a view's drop. */
export function removeViewDefinition(writer: Writer, catalog: Catalog, view: Collection, ctx: WriteContext): void {
  const systemViews = catalog.get(view.db, SYSTEM_VIEWS);
  const existing = systemViews?.findById(view.ns);
  if (systemViews && existing) writer.delete(systemViews, existing, { ...ctx, internal: true });
}
