// Query filters: evaluated by mingo over the match view of each document (bson/match-view.ts).
import { Query } from 'mingo';
import { toMatchDocument } from '../bson/match-view.js';
import type { BsonDoc } from '../bson/values.js';
import { CommandError } from '../errors.js';

export type Predicate = (doc: BsonDoc) => boolean;

export const matchAll: Predicate = () => true;

/** `variables` are the command's evaluated `let` values, readable in $expr as $$name. */
export function compileFilter(filter: BsonDoc | undefined, variables?: BsonDoc): Predicate {
  if (!filter || filter.size === 0) return matchAll;
  let query: Query;
  try {
    query = new Query(toMatchDocument(filter), variables ? { variables: toMatchDocument(variables) } : {});
  } catch (error) {
    throw new CommandError('BadValue', error instanceof Error ? error.message : String(error));
  }
  return (doc) => {
    try {
      return query.test(toMatchDocument(doc));
    } catch (error) {
      throw undefinedVariableError(error) ?? error;
    }
  };
}

const UNDEFINED_VARIABLE = /^Use of undefined variable: /;

/** mingo finds an unknown $$name only while evaluating; mongod reports it as 17276. */
function undefinedVariableError(error: unknown): CommandError | undefined {
  if (error instanceof Error && UNDEFINED_VARIABLE.test(error.message)) return new CommandError(17276, error.message);
  return undefined;
}
