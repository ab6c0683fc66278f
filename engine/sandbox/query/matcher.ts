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
  return (doc) => query.test(toMatchDocument(doc));
}
