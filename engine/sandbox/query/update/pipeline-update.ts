// Pipeline-style updates (u: [stages]): only the reshaping stages mongod allows in an update. The
// caller evaluates them (query/pipeline.ts) and the result replaces the document.
import type { BsonDoc, BsonValue } from '../../bson/values.js';
import { CommandError } from '../../errors.js';
import { parseStages } from '../pipeline.js';

const ALLOWED_IN_UPDATE = new Set(['$addFields', '$set', '$project', '$unset', '$replaceRoot', '$replaceWith']);

export function checkUpdatePipeline(stages: readonly BsonValue[]): void {
  for (const { name } of parseStages([...stages]))
    if (!ALLOWED_IN_UPDATE.has(name))
      throw new CommandError('InvalidOptions', `${name} is not allowed to be used within an update`);
}

export function pipelineResult(output: BsonDoc | undefined): BsonDoc {
  if (!output) throw new CommandError('BadValue', 'the update pipeline produced no document');
  return output;
}
