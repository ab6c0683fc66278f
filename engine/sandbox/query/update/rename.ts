// $rename: a $set of the source value at the destination followed by an $unset of the source. The
// node sits at the destination path of the update tree; a placeholder holds the source path.
import { compareValues } from '../../bson/compare.js';
import type { BsonValue } from '../../bson/values.js';
import { CommandError } from '../../errors.js';
import type { DiffLog } from './diff.js';
import { cloneValue, elementString, idString, ElementRef, arrayIndexOf } from './elements.js';
import { ModifierNode, type ModifyResult } from './modifier.js';
import { dotted, fieldComponent, isArrayFilterPart, isPositional, sharesPrefix, type RuntimePath } from './paths.js';
import type { ApplyContext, Position, UpdateNode } from './tree.js';

/** Checks the {from: to} pair of a $rename; returns the destination path. */
export function renameDestination(from: string, to: BsonValue): string {
  if (typeof to !== 'string')
    throw new CommandError('BadValue', `The 'to' field for $rename must be a string: ${elementString(from, to)}`);
  return to;
}

export class RenameNode implements UpdateNode {
  readonly type = 'leaf';
  private readonly from: string[];

  constructor(from: string, to: string) {
    if (to.includes('\0'))
      throw new CommandError('BadValue', "The 'to' field for $rename cannot contain an embedded null byte");
    const shown = elementString(from, to);
    this.from = from.split('.');
    const target = to.split('.');
    if (from === to)
      throw new CommandError('BadValue', `The source and target field for $rename must differ: ${shown}`);
    if (sharesPrefix(this.from, target))
      throw new CommandError(
        'BadValue',
        `The source and target field for $rename must not be on the same path: ${shown}`,
      );
    const dynamic = (parts: string[]): boolean => parts.some((part) => isPositional(part) || isArrayFilterPart(part));
    if (dynamic(this.from))
      throw new CommandError('BadValue', `The source field for $rename may not be dynamic: ${from}`);
    if (dynamic(target))
      throw new CommandError('BadValue', `The destination field for $rename may not be dynamic: ${to}`);
  }

  apply(position: Position, ctx: ApplyContext, log: DiffLog | undefined): boolean {
    const source = this.findSource(ctx);
    if (!source) return false;
    this.checkDestination(position, ctx);
    new RenameTarget(source.value).apply(position, ctx, log);
    source.remove();
    if (this.from[0] === '_id')
      throw new CommandError(
        'ImmutableField',
        `Unsetting the path '${dotted(this.from)}' using $rename would modify the immutable field '_id'`,
      );
    log?.logDeleted(this.from.map(fieldComponent));
    return true;
  }

  /** The element to rename, or undefined when it does not exist; renaming out of an array fails. */
  private findSource(ctx: ApplyContext): ElementRef | undefined {
    let element = ElementRef.root(ctx.root);
    const arrays: string[] = [];
    for (const part of this.from) {
      const value = element.value;
      const next = element.child(part);
      if (!next) {
        const traversable = value instanceof Map || (Array.isArray(value) && arrayIndexOf(part) !== undefined);
        if (traversable || element.isRoot) return undefined;
        throw new CommandError(
          'PathNotViable',
          `cannot use the part (${part} of ${dotted(this.from)}) to traverse the element ({${element.toString()}})`,
        );
      }
      if (Array.isArray(value)) arrays.push(element.name);
      element = next;
    }
    if (arrays.length > 0)
      throw new CommandError(
        'BadValue',
        `The source field cannot be an array element, '${dotted(this.from)}' in doc with ${idString(ctx.root)} has an array field called '${arrays[arrays.length - 1]}'`,
      );
    return element;
  }

  private checkDestination({ element, pathTaken, pending }: Position, ctx: ApplyContext): void {
    let array: string | undefined;
    if (pending.length > 0 && Array.isArray(element.value)) array = element.name;
    for (let i = pathTaken.length - 1; array === undefined && i > 0; i--)
      if (pathTaken[i].isIndex) array = pathTaken[i - 1].name;
    if (array === undefined) return;
    const to = dotted([...pathTaken.map((part) => part.name), ...pending]);
    throw new CommandError(
      'BadValue',
      `The destination field cannot be an array element, '${to}' in doc with ${idString(ctx.root)} has an array field called '${array}'`,
    );
  }
}

/** Sets the renamed value at the destination; an equal value (by comparison, not type) is left alone. */
class RenameTarget extends ModifierNode {
  constructor(private readonly value: BsonValue) {
    super();
  }

  protected override allowsCreation(): boolean {
    return true;
  }

  protected override newValue(): BsonValue {
    return cloneValue(this.value);
  }

  protected updateExisting(element: ElementRef, _path: RuntimePath): ModifyResult {
    if (compareValues(element.value, this.value) === 0) return 'noop';
    element.set(cloneValue(this.value));
    return 'updated';
  }
}
