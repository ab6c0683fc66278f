// A command's `let`: variables its filters and pipelines read as $$name. The values are expressions
// ($$NOW, $add, ...) that mongod evaluates once for the whole command, before any document is seen.
import type { BsonDoc } from '../bson/values.js';
import { compilePipeline } from '../query/pipeline.js';
import { optionalDoc } from './args.js';
import type { CommandContext } from './types.js';

function evaluateLet(ctx: CommandContext, spec: BsonDoc): BsonDoc {
  const [values] = compilePipeline(ctx.sandbox.catalog, ctx.db, [new Map([['$replaceWith', spec]])])([new Map()]);
  return values ?? new Map();
}

/** The evaluated `let` of the command body, if it has one. */
export function commandVariables(ctx: CommandContext): BsonDoc | undefined {
  const spec = optionalDoc(ctx.body, 'let');
  return spec && evaluateLet(ctx, spec);
}
