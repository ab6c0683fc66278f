// The update engine: parse an update (operators, replacement or pipeline) once per statement, then
// apply it to each document. Operator and pipeline updates report the $v:2 delta and the
// change-stream updateDescription derived from it; replacements report neither (a replace event).
import type { BsonDoc, BsonValue } from '../../bson/values.js';
import { CommandError } from '../../errors.js';
import { parseArrayFilters, type ArrayFilters } from './array-filters.js';
import { computeDiff } from './compute-diff.js';
import { describeDiff } from './describe.js';
import { DiffLog } from './diff.js';
import { cloneDoc, ElementRef, identicalValues } from './elements.js';
import { parseOperatorUpdate, type OperatorUpdate } from './parse.js';
import { checkUpdatePipeline, pipelineResult } from './pipeline-update.js';
import { matchedArrayIndex } from './positional.js';
import { replaceDocument, withCurrentTimestamps } from './replacement.js';
import type { UpdateClock } from './tree.js';
import { finishUpsert, upsertSeed } from './upsert.js';

export type { UpdateClock } from './tree.js';

export type ParsedUpdate =
  | { readonly kind: 'operators'; readonly tree: OperatorUpdate; readonly arrayFilters: ArrayFilters }
  | { readonly kind: 'replacement'; readonly replacement: BsonDoc }
  | { readonly kind: 'pipeline'; readonly stages: readonly BsonValue[]; readonly constants?: BsonDoc };

export interface ParseOptions {
  readonly arrayFilters?: readonly BsonValue[];
  /** `c`: constants for a pipeline-style update. */
  readonly constants?: BsonDoc;
  readonly multi?: boolean;
  readonly clock: UpdateClock;
}

/**
 * Runs a pipeline-style update's stages over one document (with its constants as variables); the
 * output keeps the exact types of the values the stages left unchanged.
 */
export type PipelineEvaluator = (
  doc: BsonDoc,
  stages: readonly BsonValue[],
  constants?: BsonDoc,
) => BsonDoc | undefined;

export interface UpdateEnvironment {
  readonly clock: UpdateClock;
  readonly evaluatePipeline?: PipelineEvaluator;
}

export interface UpdateResult {
  readonly doc: BsonDoc;
  readonly modified: boolean;
  /** The $v:2 delta (oplog `diff`); absent when the change is logged as a replacement. */
  readonly diff?: BsonDoc;
  /** The change-stream updateDescription, including disambiguatedPaths; present with `diff`. */
  readonly description?: BsonDoc;
}

export function parseUpdate(update: BsonDoc | readonly BsonValue[], options: ParseOptions): ParsedUpdate {
  const arrayFilters = parseArrayFilters(options.arrayFilters);
  if (Array.isArray(update)) {
    if (arrayFilters.size > 0)
      throw new CommandError('FailedToParse', 'arrayFilters may not be specified for pipeline-style updates');
    checkUpdatePipeline(update);
    return { kind: 'pipeline', stages: update, constants: options.constants };
  }
  const doc = update as BsonDoc;
  if (options.constants) throw new CommandError(51198, 'Constant values may only be specified for pipeline updates');
  const first = doc.keys().next().value;
  if (first === undefined || !first.startsWith('$')) {
    if (options.multi)
      throw new CommandError('FailedToParse', 'multi update is not supported for replacement-style update');
    return { kind: 'replacement', replacement: withCurrentTimestamps(doc, options.clock) };
  }
  return { kind: 'operators', tree: parseOperatorUpdate(doc, arrayFilters), arrayFilters };
}

/**
 * Applies a parsed update to `original` (left untouched). `filter` is the query that selected the
 * document, for the positional `$`; `isInsert` is set while building an upserted document.
 */
export function applyUpdate(
  update: ParsedUpdate,
  original: BsonDoc,
  env: UpdateEnvironment,
  options: { filter?: BsonDoc; isInsert?: boolean } = {},
): UpdateResult {
  const isInsert = options.isInsert ?? false;
  switch (update.kind) {
    case 'operators': {
      const doc = cloneDoc(original);
      const log = isInsert ? undefined : new DiffLog();
      const matchedField =
        update.tree.positional && !isInsert ? matchedArrayIndex(options.filter, original) : undefined;
      const ctx = { root: doc, matchedField, isInsert, arrayFilters: update.arrayFilters, clock: env.clock };
      const position = { element: ElementRef.root(doc), pathTaken: [], pending: [] };
      if (!update.tree.root.apply(position, ctx, log)) return { doc: original, modified: false };
      return withDelta(doc, log?.serialize());
    }
    case 'replacement': {
      const doc = replaceDocument(original, update.replacement, false);
      return { doc, modified: !identicalValues(doc, original) };
    }
    case 'pipeline': {
      if (!env.evaluatePipeline) throw new CommandError('InternalError', 'no pipeline evaluator');
      const output = env.evaluatePipeline(original, update.stages, update.constants);
      const doc = replaceDocument(original, pipelineResult(output), true);
      if (identicalValues(doc, original)) return { doc: original, modified: false };
      return withDelta(doc, isInsert ? undefined : computeDiff(original, doc));
    }
  }
}

/** The document an upsert inserts when `filter` matched nothing. */
export function buildUpsert(update: ParsedUpdate, filter: BsonDoc | undefined, env: UpdateEnvironment): BsonDoc {
  const seed = upsertSeed(filter, update.kind === 'replacement');
  return finishUpsert(applyUpdate(update, seed, env, { filter, isInsert: true }).doc);
}

function withDelta(doc: BsonDoc, diff: BsonDoc | undefined): UpdateResult {
  return diff ? { doc, modified: true, diff, description: describeDiff(diff) } : { doc, modified: true };
}
