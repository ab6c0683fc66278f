// The operation registry: which definition runs for an operation name on a kind of entity
// (spec "Entity Test Operations" and "Special Test Operations"), and what a result may be saved
// as in the entity map.
import { AbstractCursor, ChangeStream } from 'mongodb';
import { collectionOperations } from './collection-operations.js';
import { cursorOperations } from './cursor-operations.js';
import { clientOperations, databaseOperations } from './database-operations.js';
import type { Entity } from './entities.js';
import { RunnerError } from './errors.js';
import type { OperationDef, Table } from './operation-types.js';
import { bucketOperations, sessionOperations } from './session-operations.js';
import { specialOperations } from './special-operations.js';

const TABLES: Record<Entity['kind'] | 'testRunner', Table> = {
  client: clientOperations,
  database: databaseOperations,
  collection: collectionOperations,
  session: sessionOperations,
  bucket: bucketOperations,
  changeStream: cursorOperations,
  cursor: cursorOperations,
  value: {},
  testRunner: specialOperations,
};

/** The definition of `name` for the kind of entity `object` names ("testRunner" for special ones). */
export function lookupOperation(kind: Entity['kind'] | 'testRunner', name: string): OperationDef {
  const def = TABLES[kind][name];
  if (!def) throw new RunnerError(`operation "${name}" is not supported on a ${kind}`);
  return def;
}

/** Whether a returned value can be stored in the entity map, and as what. */
export function entityFromResult(result: unknown): Entity {
  if (result instanceof ChangeStream) return { kind: 'changeStream', stream: result };
  if (result instanceof AbstractCursor) return { kind: 'cursor', cursor: result };
  if (result === undefined) throw new RunnerError('saveResultAsEntity: the operation returned no result');
  return { kind: 'value', value: result };
}
