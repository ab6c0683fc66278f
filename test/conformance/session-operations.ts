// Session operations (transactions) and GridFS bucket operations.
import type { ClientSession, GridFSBucket } from 'mongodb';
import { asStringArg, split } from './arguments.js';
import { transactionOptionsFrom } from './entities.js';
import { RunnerError } from './errors.js';
import { parseOperation } from './load.js';
import type { Call, OperationContext, Table } from './operation-types.js';
import { isDocument } from './values.js';

// --- session ------------------------------------------------------------------------------

const session = (ctx: OperationContext, call: Call): ClientSession => ctx.entities.session(call.object);

export const sessionOperations: Table = {
  startTransaction: {
    optional: ['readConcern', 'writeConcern', 'readPreference', 'maxCommitTimeMS'],
    async run(call, ctx) {
      session(ctx, call).startTransaction(transactionOptionsFrom(call.raw));
      return undefined;
    },
  },
  commitTransaction: {
    optional: ['timeoutMS'],
    async run(call, ctx) {
      await session(ctx, call).commitTransaction(call.args);
      return undefined;
    },
  },
  abortTransaction: {
    optional: ['timeoutMS'],
    async run(call, ctx) {
      await session(ctx, call).abortTransaction(call.args);
      return undefined;
    },
  },
  endSession: {
    async run(call, ctx) {
      await session(ctx, call).endSession();
      return undefined;
    },
  },
  withTransaction: {
    required: ['callback'],
    optional: ['readConcern', 'writeConcern', 'readPreference', 'maxCommitTimeMS', 'timeoutMS'],
    async run(call, ctx) {
      const { callback, timeoutMS: _timeoutMS, ...options } = call.raw;
      if (!Array.isArray(callback)) throw new RunnerError('withTransaction: callback must be an array of operations');
      const nested = callback.map((op, i) => parseOperation(op, `callback[${i}]`));
      await session(ctx, call).withTransaction(() => ctx.runNested(nested), {
        ...transactionOptionsFrom(options),
        ...(typeof call.args.timeoutMS === 'number' && { timeoutMS: call.args.timeoutMS }),
      });
      return undefined;
    },
  },
};

// --- GridFS buckets -----------------------------------------------------------------------

const bucket = (ctx: OperationContext, call: Call): GridFSBucket => ctx.entities.getAs(call.object, 'bucket').bucket;

export const bucketOperations: Table = {
  upload: {
    required: ['filename', 'source'],
    optional: ['chunkSizeBytes', 'metadata', 'contentType', 'disableMD5'],
    async run(call, ctx) {
      const [{ filename, source }, options] = split(call.args, 'filename', 'source');
      const hex = isDocument(source) ? source.$$hexBytes : undefined;
      if (typeof hex !== 'string' || !/^(?:[0-9a-fA-F]{2})*$/.test(hex))
        throw new RunnerError('upload: malformed source');
      const stream = bucket(ctx, call).openUploadStream(asStringArg(filename, 'filename'), options);
      await new Promise<void>((resolve, reject) => {
        stream.once('error', reject);
        stream.end(Buffer.from(hex, 'hex'), () => resolve());
      });
      return stream.id;
    },
  },
  download: {
    required: ['id'],
    async run(call, ctx) {
      const chunks: Buffer[] = [];
      for await (const chunk of bucket(ctx, call).openDownloadStream(call.args.id)) chunks.push(Buffer.from(chunk));
      return Buffer.concat(chunks);
    },
  },
  delete: {
    required: ['id'],
    async run(call, ctx) {
      await bucket(ctx, call).delete(call.args.id);
      return undefined;
    },
  },
};
