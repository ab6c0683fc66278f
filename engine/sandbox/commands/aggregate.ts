// The aggregate command: on a collection, a view or {aggregate: 1}; pipelines run by mingo, with the
// stages the sandbox answers itself ($collStats, $indexStats, $currentOp, $listLocalSessions), the
// writing stages ($out, $merge) and change streams ($changeStream).
import type { Collation } from '../bson/collation.js';
import { decodeDocument } from '../bson/decode.js';
import { Int32, Long, typeAlias, typeOf, type BsonDoc, type BsonValue } from '../bson/values.js';
import { ChangeStreamSource } from '../changestream/stream.js';
import { parseChangeStreamOptions } from '../changestream/options.js';
import { ArraySource, type Batch, type BatchOptions, type CursorSource } from '../cursors.js';
import { CommandError } from '../errors.js';
import { SERVER_VERSION } from '../limits.js';
import { checkStagePositions, compilePipeline, parseStages, resolveView, type Stage } from '../query/pipeline.js';
import { selectDocuments } from '../query/plan.js';
import { SOURCE_STAGES, sourceDocuments, type StageTarget } from '../query/special-stages.js';
import { WRITE_STAGES, writeResults } from '../query/write-stages.js';
import type { Collection } from '../storage/collection.js';
import { numberOption } from '../storage/writer.js';
import { optionalBool, optionalDoc, optionalNumber } from './args.js';
import { operationCollation } from './collation-option.js';
import { sizeOfReplyDoc } from './crud.js';
import { openCursorReply } from './cursor-reply.js';
import { rejectUnknownFields } from './strict-fields.js';
import type { CommandContext, CommandReply, CommandSpec } from './types.js';

const AGGREGATE_FIELDS = [
  'pipeline',
  'explain',
  'allowDiskUse',
  'cursor',
  'bypassDocumentValidation',
  'collation',
  'hint',
  'let',
  'collectionUUID',
  'isMapReduceCommand',
  'allowSpeculativeMajorityRead',
  'includeQueryStatsMetrics',
];

interface AggregateRequest {
  /** undefined for {aggregate: 1}. */
  readonly collectionName?: string;
  readonly ns: string;
  readonly stages: Stage[];
  readonly batchSize?: number;
  readonly explain: boolean;
  readonly bypassDocumentValidation: boolean;
  readonly variables?: BsonDoc;
  /** The `collation` argument as given. */
  readonly collation?: BsonDoc;
}

function parseRequest(ctx: CommandContext): AggregateRequest {
  const { body } = ctx;
  rejectUnknownFields(body, 'aggregate', AGGREGATE_FIELDS);
  const collectionName = aggregateTarget(body.get('aggregate'), ctx.db);
  const pipeline = body.get('pipeline');
  if (pipeline === undefined)
    throw new CommandError(40414, "BSON field 'aggregate.pipeline' is missing but a required field");
  if (!Array.isArray(pipeline))
    throw new CommandError(
      'TypeMismatch',
      `BSON field 'aggregate.pipeline' is the wrong type '${typeAlias[typeOf(pipeline)]}', expected type 'array'`,
    );
  const explain = optionalBool(body, 'explain') ?? false;
  const cursor = optionalDoc(body, 'cursor');
  if (!cursor && !explain)
    throw new CommandError(
      'FailedToParse',
      "The 'cursor' option is required, except for aggregate with the explain argument",
    );
  const batchSize = cursor ? optionalNumber(cursor, 'batchSize') : undefined;
  if (batchSize !== undefined && batchSize < 0)
    throw new CommandError(51024, `BSON field 'batchSize' value must be >= 0, actual value '${batchSize}'`);
  optionalBool(body, 'allowDiskUse');
  const collation = optionalDoc(body, 'collation');
  const stages = parseStages(pipeline);
  const inTransaction = body.get('autocommit') === false;
  checkStagePositions(stages, collectionName === undefined, inTransaction);
  const writeStage = stages.find(({ name }) => WRITE_STAGES.has(name));
  const readConcern = optionalDoc(body, 'readConcern');
  if (writeStage && readConcern?.get('level') === 'linearizable')
    throw new CommandError(
      'InvalidOptions',
      `${writeStage.name} cannot be used with a 'linearizable' read concern level`,
    );
  return {
    collectionName,
    ns: `${ctx.db}.${collectionName ?? '$cmd.aggregate'}`,
    stages,
    batchSize,
    explain,
    bypassDocumentValidation: optionalBool(body, 'bypassDocumentValidation') ?? false,
    variables: optionalDoc(body, 'let'),
    collation,
  };
}

/** The collection an aggregate reads, or undefined for {aggregate: 1}. */
function aggregateTarget(value: BsonValue | undefined, db: string): string | undefined {
  if (typeof value === 'string') {
    if (value.length === 0) throw new CommandError('InvalidNamespace', `Invalid namespace specified '${db}.'`);
    return value;
  }
  if (value !== undefined && numberOption(value) === 1) return undefined;
  throw new CommandError(
    'FailedToParse',
    "Invalid command format: the 'aggregate' field must specify a collection name or 1",
  );
}

function stageDocuments(stages: readonly Stage[]): BsonDoc[] {
  return stages.map(({ name, spec }) => new Map([[name, spec]]));
}

const aggregate: CommandSpec = {
  name: 'aggregate',
  async run(ctx) {
    const request = parseRequest(ctx);
    const { catalog } = ctx.sandbox;
    const collection = request.collectionName === undefined ? undefined : catalog.get(ctx.db, request.collectionName);
    const collation = operationCollation(request.collation, collection);
    checkHint(ctx.body.get('hint'), collection);
    if (request.explain) return explainReply(ctx, request);
    const [first] = request.stages;
    if (first?.name === '$changeStream') return openChangeStream(ctx, request, collection);
    const target: StageTarget = { name: request.collectionName, collection };
    const { input, stages } = pipelineInput(ctx, request, target, collation);
    const last = stages[stages.length - 1];
    const writeStage = last && WRITE_STAGES.has(last.name) ? last : undefined;
    const evaluated = writeStage ? stages.slice(0, -1) : stages;
    const options = { variables: request.variables, collation };
    const documents = compilePipeline(catalog, ctx.db, stageDocuments(evaluated), options)(input);
    if (writeStage) {
      writeResults(writeStage, ctx, documents, { bypassDocumentValidation: request.bypassDocumentValidation });
      return { cursor: { firstBatch: [], id: Long.fromNumber(0), ns: request.ns } };
    }
    const source = new ArraySource(documents, sizeOfReplyDoc);
    return openCursorReply(
      ctx,
      request.ns,
      request.batchSize === 0 ? new EmptyFirstBatch(source) : source,
      request.batchSize,
    );
  },
};

/** The documents the pipeline starts from and the stages left to run on them. */
function pipelineInput(
  ctx: CommandContext,
  request: AggregateRequest,
  target: StageTarget,
  collation: Collation | undefined,
): { input: BsonDoc[]; stages: Stage[] } {
  const [first, ...rest] = request.stages;
  if (first && SOURCE_STAGES.has(first.name)) return { input: sourceDocuments(first, ctx, target), stages: rest };
  const { collection } = target;
  if (!collection) return { input: [], stages: request.stages };
  if (collection.isView) {
    const view = resolveView(ctx.sandbox.catalog, collection);
    const stages = [...parseStages(view.pipeline), ...request.stages];
    return { input: allDocuments(view.source), stages };
  }
  // A leading $match reads through the _id index when it can (let variables need the full pipeline).
  if (first?.name === '$match' && first.spec instanceof Map && !request.variables)
    return { input: selectDocuments(collection, first.spec, { collation }).map(({ doc }) => doc), stages: rest };
  return { input: allDocuments(collection), stages: request.stages };
}

function allDocuments(collection: Collection | undefined): BsonDoc[] {
  return collection ? [...collection.natural()].map((record) => decodeDocument(record.bytes)) : [];
}

function checkHint(hint: BsonValue | undefined, collection: Collection | undefined): void {
  if (hint === undefined || !collection || collection.isView) return;
  const exists =
    typeof hint === 'string'
      ? collection.indexes.get(hint) !== undefined
      : hint instanceof Map && (hint.has('$natural') || collection.indexes.findByKeyPattern(hint).length > 0);
  if (!exists) throw new CommandError('BadValue', 'hint provided does not correspond to an existing index');
}

async function openChangeStream(
  ctx: CommandContext,
  request: AggregateRequest,
  collection: Collection | undefined,
): Promise<CommandReply> {
  const [first, ...rest] = request.stages;
  if (collection?.isView)
    throw new CommandError('CommandNotSupportedOnView', `Namespace ${collection.ns} is a view, not a collection`);
  const options = parseChangeStreamOptions(first.spec, ctx.db, request.collectionName);
  // A change stream compares by the collation it is given, never by the collection's default.
  const collation = operationCollation(request.collation, undefined);
  const source = new ChangeStreamSource(ctx.sandbox, options, ctx.db, stageDocuments(rest), collation);
  return openCursorReply(ctx, request.ns, source, request.batchSize);
}

/** A minimal explain in mongod's shape: the pipeline behind a collection scan. */
function explainReply(ctx: CommandContext, request: AggregateRequest): CommandReply {
  const queryPlanner = {
    namespace: request.ns,
    parsedQuery: {},
    winningPlan: { stage: 'COLLSCAN', direction: 'forward' },
    rejectedPlans: [],
  };
  const [host, port] = ctx.sandbox.me.split(':');
  return {
    explainVersion: '1',
    stages: [{ $cursor: { queryPlanner } }, ...stageDocuments(request.stages)],
    command: ctx.body,
    serverInfo: { host, port: new Int32(Number(port)), version: SERVER_VERSION, gitVersion: 'ferry-sandbox' },
  };
}

/** cursor: {batchSize: 0} asks for an empty first batch and a cursor for the results. */
class EmptyFirstBatch implements CursorSource {
  private started = false;

  constructor(private readonly inner: CursorSource) {}

  nextBatch(options: BatchOptions): Promise<Batch> | Batch {
    if (this.started) return this.inner.nextBatch(options);
    this.started = true;
    return { documents: [], exhausted: false };
  }

  close(): void {
    this.inner.close?.();
  }
}

export const aggregateCommands: CommandSpec[] = [aggregate];
