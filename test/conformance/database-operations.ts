// Database and client operations: aggregate, collections, runCommand, clientBulkWrite, listings.
import type { AnyClientBulkWriteModel, ClientBulkWriteOptions, ClientSession, Document } from 'mongodb';
import { asDocumentArg, asStringArg, split } from './arguments.js';
import { aggregate, parseModel } from './collection-operations.js';
import { createChangeStream } from './cursor-operations.js';
import { RunnerError } from './errors.js';
import { database, LONGS, mongoClient, WRITE, type OperationDef, type Table } from './operation-types.js';

const clientBulkWrite: OperationDef = {
  required: ['models'],
  optional: [...WRITE, 'ordered', 'bypassDocumentValidation', 'let', 'verboseResults'],
  async run(call, ctx) {
    const [{ models }, options] = split(call.args, 'models');
    if (!Array.isArray(models)) throw new RunnerError('clientBulkWrite: models must be an array');
    // The driver wants { name: 'insertOne', namespace, ... } instead of the format's nesting.
    const driverModels = models.map((model, i) => {
      const [kind, body] = parseModel(model, i, ctx, true);
      return { name: kind, ...body } as AnyClientBulkWriteModel<Document>;
    });
    return mongoClient(ctx, call).bulkWrite(driverModels, options as ClientBulkWriteOptions);
  },
};

// --- database -----------------------------------------------------------------------------

export const databaseOperations: Table = {
  aggregate: aggregate('database'),
  createChangeStream,
  createCollection: {
    required: ['collection'],
    optional: 'any',
    async run(call, ctx) {
      const [{ collection }, options] = split(call.args, 'collection');
      await database(ctx, call).createCollection(asStringArg(collection, 'collection'), options);
      return undefined;
    },
  },
  dropCollection: {
    required: ['collection'],
    optional: ['session', 'writeConcern', 'comment', 'encryptedFields', 'timeoutMS'],
    async run(call, ctx) {
      const [{ collection }, options] = split(call.args, 'collection');
      return database(ctx, call).dropCollection(asStringArg(collection, 'collection'), options);
    },
  },
  listCollections: {
    optional: ['filter', 'session', 'batchSize', 'nameOnly', 'authorizedCollections', 'comment', 'timeoutMS'],
    shape: 'rootElements',
    async run(call, ctx) {
      const [{ filter }, options] = split(call.args, 'filter');
      return database(ctx, call)
        .listCollections(filter === undefined ? {} : asDocumentArg(filter, 'filter'), { ...options, ...LONGS })
        .toArray();
    },
  },
  listCollectionNames: {
    optional: ['filter', 'session', 'batchSize', 'comment'],
    shape: 'value',
    async run(call, ctx) {
      const [{ filter }, options] = split(call.args, 'filter');
      const list = await database(ctx, call)
        .listCollections(filter === undefined ? {} : asDocumentArg(filter, 'filter'), { ...options, nameOnly: true })
        .toArray();
      return list.map((c) => c.name);
    },
  },
  modifyCollection: {
    required: ['collection'],
    optional: 'any',
    async run(call, ctx) {
      // There is no driver helper for collMod; the operation is a thin wrapper around it.
      const [{ collection, session }, options] = split(call.args, 'collection', 'session');
      return database(ctx, call).command(
        { collMod: asStringArg(collection, 'collection'), ...options },
        session === undefined ? {} : { session: session as ClientSession },
      );
    },
  },
  runCommand: {
    required: ['command', 'commandName'],
    optional: ['readPreference', 'session'],
    async run(call, ctx) {
      const [{ command }, options] = split(call.args, 'command', 'commandName');
      // EJSON.parse keeps key order, so the command name is already the first key.
      return database(ctx, call).command(asDocumentArg(command, 'command'), { ...options, ...LONGS });
    },
  },
};

// --- client -------------------------------------------------------------------------------

export const clientOperations: Table = {
  createChangeStream,
  clientBulkWrite,
  listDatabases: {
    optional: ['filter', 'session', 'nameOnly', 'authorizedDatabases', 'comment'],
    shape: 'rootElements',
    async run(call, ctx) {
      const result = await mongoClient(ctx, call).db('admin').admin().listDatabases(call.args);
      return result.databases;
    },
  },
  listDatabaseNames: {
    optional: ['filter', 'session', 'authorizedDatabases', 'comment'],
    shape: 'value',
    async run(call, ctx) {
      const result = await mongoClient(ctx, call)
        .db('admin')
        .admin()
        .listDatabases({ ...call.args, nameOnly: true });
      return result.databases.map((d) => d.name);
    },
  },
  close: {
    async run(call, ctx) {
      await mongoClient(ctx, call).close();
      return undefined;
    },
  },
};
