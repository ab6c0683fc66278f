// find on a view: the view's pipeline followed by the find's filter, sort, skip, limit and projection.
import type { Collation } from '../bson/collation.js';
import { Int32, type BsonDoc, type BsonValue } from '../bson/values.js';
import { ArraySource } from '../cursors.js';
import { runPipeline } from '../query/pipeline.js';
import type { Collection } from '../storage/collection.js';
import { openCursorReply } from './cursor-reply.js';
import { sizeOfReplyDoc } from './crud.js';
import type { CommandContext, CommandReply } from './types.js';

export interface FindShape {
  filter?: BsonDoc;
  projection?: BsonDoc;
  sort?: BsonDoc;
  skip: number;
  limit: number;
  batchSize?: number;
  singleBatch: boolean;
  /** The view's collation (an operation cannot ask for another). */
  collation?: Collation;
}

export function findOnView(ctx: CommandContext, view: Collection, find: FindShape): Promise<CommandReply> {
  const stages: BsonValue[] = [];
  if (find.filter && find.filter.size) stages.push(new Map([['$match', find.filter]]));
  if (find.sort && find.sort.size) stages.push(new Map([['$sort', find.sort]]));
  if (find.skip) stages.push(new Map([['$skip', new Int32(find.skip)]]));
  if (find.limit) stages.push(new Map([['$limit', new Int32(find.limit)]]));
  if (find.projection && find.projection.size) stages.push(new Map([['$project', find.projection]]));
  const documents = runPipeline(ctx.sandbox.catalog, ctx.db, view, stages, { collation: find.collation });
  return openCursorReply(ctx, view.ns, new ArraySource(documents, sizeOfReplyDoc), find.batchSize, find.singleBatch);
}
