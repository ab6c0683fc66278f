// Builds the `cursor` reply shared by find, aggregate, getMore, listCollections and listIndexes.
import { Long, type EncodableValue } from '../bson/values.js';
import type { CursorSource } from '../cursors.js';
import type { CommandContext, CommandReply } from './types.js';

export async function openCursorReply(
  ctx: CommandContext,
  ns: string,
  source: CursorSource,
  batchSize: number | undefined,
  singleBatch = false,
): Promise<CommandReply> {
  const batch = await source.nextBatch({ batchSize, awaitMs: 0, isFirstBatch: true });
  let id = Long.fromNumber(0);
  if (!batch.exhausted && !singleBatch) {
    const lsid = ctx.body.get('lsid');
    const cursor = ctx.sandbox.cursors.open(
      ns,
      source,
      lsid instanceof Map ? lsidKey(lsid) : undefined,
      ctx.connection.user?.name,
    );
    id = cursor.id;
  } else {
    source.close?.();
  }
  const cursor: Record<string, EncodableValue> = { firstBatch: batch.documents, id, ns };
  if (batch.postBatchResumeToken) cursor.postBatchResumeToken = batch.postBatchResumeToken;
  return { cursor };
}

export function lsidKey(lsid: Map<string, unknown>): string {
  const id = lsid.get('id');
  return id && typeof id === 'object' && 'toString' in id
    ? String((id as { toString(format?: string): string }).toString('hex'))
    : String(id);
}
