// What every update modifier ($set, $inc, $push, ...) shares, as in mongod's ModifierNode: apply to the
// existing element, or create the missing path (padding arrays with nulls), or do nothing; refuse to
// touch _id; refuse a new top-level '$' field; log the change for the oplog delta.
import type { BsonValue } from '../../bson/values.js';
import { CommandError } from '../../errors.js';
import type { DiffLog } from './diff.js';
import { arrayIndexOf, type ElementRef } from './elements.js';
import { dotted, fieldComponent, type RuntimePath } from './paths.js';
import { checkTopLevelFieldName } from './storage-validation.js';
import type { ApplyContext, Position, UpdateNode } from './tree.js';

/** What applying a modifier to an existing element did. */
export type ModifyResult = 'noop' | 'updated' | { appended: number };

// mongod's kMaxPaddingAllowed: the most nulls an update may add to reach an array index.
const MAX_PADDING = 1_500_000;

export abstract class ModifierNode implements UpdateNode {
  readonly type = 'leaf';
  /** $setOnInsert: applies only while building an upserted document. */
  protected insertOnly = false;

  apply(position: Position, ctx: ApplyContext, log: DiffLog | undefined): boolean {
    if (this.insertOnly && !ctx.isInsert) return false;
    return position.pending.length > 0
      ? this.applyToMissing(position, ctx, log)
      : this.applyToExisting(position, ctx, log);
  }

  protected abstract updateExisting(element: ElementRef, path: RuntimePath, ctx: ApplyContext): ModifyResult;

  /** Modifiers that create a missing path ($set, $inc, $push, ...) say so and give the new value. */
  protected allowsCreation(): boolean {
    return false;
  }

  protected newValue(_ctx: ApplyContext): BsonValue {
    throw new CommandError('InternalError', 'this modifier does not create fields');
  }

  /** $unset ignores paths that could never exist; the others refuse them. */
  protected allowsNonViablePath(): boolean {
    return false;
  }

  protected checkStorable(path: RuntimePath): void {
    if (path.length === 1) checkTopLevelFieldName(path[0].name);
  }

  protected logChange(log: DiffLog, path: RuntimePath, element: ElementRef, result: ModifyResult): void {
    if (result === 'updated') {
      log.logUpdated(path, element.value);
    } else if (typeof result === 'object') {
      const array = element.value as BsonValue[];
      const first = array.length - result.appended;
      for (let index = first; index < array.length; index++)
        log.logCreated([...path, { name: String(index), isIndex: true }], path.length, array[index]);
    }
  }

  private applyToExisting(position: Position, ctx: ApplyContext, log: DiffLog | undefined): boolean {
    const { element, pathTaken } = position;
    const result = this.updateExisting(element, pathTaken, ctx);
    if (result === 'noop') return false;
    if (pathTaken[0].name === '_id')
      throw new CommandError(
        'ImmutableField',
        `Performing an update on the path '${dotted(pathTaken)}' would modify the immutable field '_id'`,
      );
    this.checkStorable(pathTaken);
    if (log) this.logChange(log, pathTaken, element, result);
    return true;
  }

  private applyToMissing(position: Position, ctx: ApplyContext, log: DiffLog | undefined): boolean {
    const { element, pathTaken, pending } = position;
    if (!this.allowsCreation()) {
      if (!this.allowsNonViablePath()) checkViability(element, pending, pathTaken);
      return false;
    }
    const value = this.newValue(ctx);
    const createdInArray = Array.isArray(element.value);
    createPath(element, pending, value);
    if (pathTaken.length === 0) checkTopLevelFieldName(pending[0]);
    if (pathTaken.length > 0 && pathTaken[0].name === '_id')
      throw new CommandError(
        'ImmutableField',
        `Updating the path '${dotted(pathTaken)}' to ${element.toString()} would modify the immutable field '_id'`,
      );
    if (log) {
      const fullPath: RuntimePath = [
        ...pathTaken,
        { name: createdInArray ? String(arrayIndexOf(pending[0])) : pending[0], isIndex: createdInArray },
        ...pending.slice(1).map(fieldComponent),
      ];
      log.logCreated(fullPath, pathTaken.length, value);
    }
    return true;
  }
}

/**
 * Creates `pending` below `element` and sets `value` at its end: documents for the missing fields,
 * nulls to pad an array up to the index being created.
 */
function createPath(element: ElementRef, pending: readonly string[], value: BsonValue): void {
  let nested = value;
  for (let i = pending.length - 1; i > 0; i--) nested = new Map([[pending[i], nested]]);
  const container = element.value;
  if (container instanceof Map) {
    container.set(pending[0], nested);
    return;
  }
  const index = Array.isArray(container) ? arrayIndexOf(pending[0]) : undefined;
  if (!Array.isArray(container) || index === undefined)
    throw new CommandError('PathNotViable', `Cannot create field '${pending[0]}' in element {${element.toString()}}`);
  if (index - container.length > MAX_PADDING)
    throw new CommandError(34, `can't backfill more than ${MAX_PADDING} elements`);
  while (container.length < index) container.push(null);
  container.push(nested);
}

/** A path that does not exist is fine unless creating it would have to change an existing type. */
function checkViability(element: ElementRef, pending: readonly string[], pathTaken: RuntimePath): void {
  const value = element.value;
  if (value instanceof Map) return;
  if (Array.isArray(value) && arrayIndexOf(pending[0]) !== undefined) return;
  throw new CommandError(
    'PathNotViable',
    `Cannot use the part (${pending[0]}) of (${dotted([...pathTaken.map((part) => part.name), ...pending])}) to traverse the element ({${element.toString()}})`,
  );
}
