// The field modifiers: $set, $setOnInsert, $unset, $currentDate, $min and $max, and the placeholder a
// $rename leaves at its source path so other modifiers cannot touch it.
import { compareValues } from '../../bson/compare.js';
import { typeAlias, typeOf, type BsonValue } from '../../bson/values.js';
import { CommandError } from '../../errors.js';
import type { DiffLog } from './diff.js';
import { cloneValue, identicalValues, type ElementRef } from './elements.js';
import { ModifierNode, type ModifyResult } from './modifier.js';
import type { RuntimePath } from './paths.js';
import type { ApplyContext, UpdateNode } from './tree.js';

export class SetNode extends ModifierNode {
  constructor(
    private readonly value: BsonValue,
    insertOnly = false,
  ) {
    super();
    this.insertOnly = insertOnly;
  }

  protected override allowsCreation(): boolean {
    return true;
  }

  protected override newValue(): BsonValue {
    return cloneValue(this.value);
  }

  protected updateExisting(element: ElementRef): ModifyResult {
    if (identicalValues(element.value, this.value)) return 'noop';
    element.set(cloneValue(this.value));
    return 'updated';
  }
}

export class UnsetNode extends ModifierNode {
  protected override allowsNonViablePath(): boolean {
    return true;
  }

  protected updateExisting(element: ElementRef): ModifyResult {
    // An array keeps its length: the element becomes null.
    if (element.inArray) element.set(null);
    else element.remove();
    return 'updated';
  }

  protected override checkStorable(): void {
    // Removing a field cannot make the document unstorable.
  }

  protected override logChange(log: DiffLog, path: RuntimePath): void {
    if (path[path.length - 1].isIndex) log.logUpdated(path, null);
    else log.logDeleted(path);
  }
}

export class CurrentDateNode extends ModifierNode {
  private readonly asTimestamp: boolean;

  constructor(value: BsonValue) {
    super();
    this.asTimestamp = CurrentDateNode.parse(value);
  }

  private static parse(value: BsonValue): boolean {
    if (typeof value === 'boolean') return false;
    if (!(value instanceof Map))
      throw new CommandError(
        'BadValue',
        `${typeAlias[typeOf(value)]} is not valid type for $currentDate. Please use a boolean ('true') or a $type expression ({$type: 'timestamp/date'}).`,
      );
    let asTimestamp: boolean | undefined;
    for (const [name, option] of value) {
      if (name !== '$type') throw new CommandError('BadValue', `Unrecognized $currentDate option: ${name}`);
      if (option === 'date' || option === 'timestamp') asTimestamp = option === 'timestamp';
    }
    if (asTimestamp === undefined)
      throw new CommandError(
        'BadValue',
        "The '$type' string field is required to be 'date' or 'timestamp': {$currentDate: {field : {$type: 'date'}}}",
      );
    return asTimestamp;
  }

  protected override allowsCreation(): boolean {
    return true;
  }

  protected override newValue(ctx: ApplyContext): BsonValue {
    return this.asTimestamp ? ctx.clock.timestamp() : ctx.clock.date();
  }

  protected updateExisting(element: ElementRef, _path: RuntimePath, ctx: ApplyContext): ModifyResult {
    element.set(this.newValue(ctx));
    return 'updated';
  }
}

/** $min and $max: replace the value when the given one sorts before (after) it. */
export class CompareNode extends ModifierNode {
  constructor(
    private readonly keep: 'min' | 'max',
    private readonly value: BsonValue,
  ) {
    super();
  }

  protected override allowsCreation(): boolean {
    return true;
  }

  protected override newValue(): BsonValue {
    return cloneValue(this.value);
  }

  protected updateExisting(element: ElementRef): ModifyResult {
    const order = compareValues(element.value, this.value);
    if (order === 0 || (this.keep === 'max' ? order > 0 : order < 0)) return 'noop';
    element.set(cloneValue(this.value));
    return 'updated';
  }
}

export class ConflictPlaceholderNode implements UpdateNode {
  readonly type = 'leaf';

  apply(): boolean {
    return false;
  }
}
