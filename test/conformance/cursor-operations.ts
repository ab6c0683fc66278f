// Change streams and cursors: createChangeStream (client, database, collection) and the
// iteration operations shared by change stream and cursor entities.
import type { AbstractCursor, ChangeStream } from 'mongodb';
import { asDocumentList, split } from './arguments.js';
import { RunnerError } from './errors.js';
import {
  CHANGE_STREAM_OPTIONS,
  LONGS,
  type Call,
  type OperationContext,
  type OperationDef,
  type Table,
} from './operation-types.js';

/** Create the server-side change stream cursor without consuming a document (spec createChangeStream). */
async function startChangeStream(stream: ChangeStream): Promise<ChangeStream> {
  // ChangeStream opens its cursor lazily; the driver exposes cursorInit for unified test runners.
  const cursor: unknown = Reflect.get(stream, 'cursor');
  const init: unknown = typeof cursor === 'object' && cursor !== null ? Reflect.get(cursor, 'cursorInit') : undefined;
  if (typeof init !== 'function') throw new RunnerError('the driver no longer exposes ChangeStream cursor.cursorInit');
  try {
    await Promise.resolve(Reflect.apply(init, cursor, []));
  } catch (error) {
    await stream.close().catch(() => undefined);
    throw error;
  }
  return stream;
}

export const createChangeStream: OperationDef = {
  required: ['pipeline'],
  optional: CHANGE_STREAM_OPTIONS,
  async run(call, ctx) {
    const [{ pipeline }, options] = split(call.args, 'pipeline');
    const entity = ctx.entities.getAs(call.object, 'client', 'database', 'collection');
    const watchable =
      entity.kind === 'client' ? entity.client : entity.kind === 'database' ? entity.db : entity.collection;
    const stream = watchable.watch(asDocumentList(pipeline, 'pipeline'), { ...options, ...LONGS });
    return startChangeStream(stream);
  },
};

function iterable(ctx: OperationContext, call: Call): ChangeStream | AbstractCursor {
  const entity = ctx.entities.getAs(call.object, 'changeStream', 'cursor');
  return entity.kind === 'changeStream' ? entity.stream : entity.cursor;
}

export const cursorOperations: Table = {
  iterateUntilDocumentOrError: {
    async run(call, ctx) {
      // next() blocks until a document or an error; the per-test time limit bounds it.
      return iterable(ctx, call).next();
    },
  },
  iterateOnce: {
    async run(call, ctx) {
      // tryNext returns what is buffered or performs exactly one getMore.
      return iterable(ctx, call).tryNext();
    },
  },
  close: {
    async run(call, ctx) {
      await iterable(ctx, call)
        .close()
        .catch(() => undefined);
      return undefined;
    },
  },
};
