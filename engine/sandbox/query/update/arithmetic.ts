// $inc, $mul and $bit.
import { typeAlias, typeOf, Int32, type BsonValue, type Long } from '../../bson/values.js';
import { CommandError } from '../../errors.js';
import { elementString, idString, type ElementRef } from './elements.js';
import { ModifierNode, type ModifyResult } from './modifier.js';
import {
  add,
  asNumber,
  bitwise,
  debugString,
  identicalNumbers,
  isIntegral,
  multiply,
  type BitOperator,
  type BsonNumber,
} from './numbers.js';
import type { ApplyContext } from './tree.js';

export class ArithmeticNode extends ModifierNode {
  private readonly operand: BsonNumber;

  constructor(
    private readonly operator: '$inc' | '$mul',
    field: string,
    value: BsonValue,
  ) {
    super();
    const operand = asNumber(value);
    if (!operand)
      throw new CommandError(
        'TypeMismatch',
        `Cannot ${operator === '$inc' ? 'increment' : 'multiply'} with non-numeric argument: {${elementString(field, value)}}`,
      );
    this.operand = operand;
  }

  protected override allowsCreation(): boolean {
    return true;
  }

  protected override newValue(): BsonValue {
    // $mul on a missing field stores a zero of the operand's type.
    if (this.operator === '$inc') return this.operand;
    return multiply(this.operand, new Int32(0)) ?? new Int32(0);
  }

  protected updateExisting(element: ElementRef, _path: unknown, ctx: ApplyContext): ModifyResult {
    const current = asNumber(element.value);
    if (!current)
      throw new CommandError(
        'TypeMismatch',
        `Cannot apply ${this.operator} to a value of non-numeric type. {${idString(ctx.root)}} has the field '${element.name}' of non-numeric type ${typeAlias[typeOf(element.value)]}`,
      );
    const result = this.operator === '$inc' ? add(this.operand, current) : multiply(this.operand, current);
    if (result && identicalNumbers(result, current)) return 'noop';
    if (!result)
      throw new CommandError(
        'BadValue',
        `Failed to apply ${this.operator} operations to current value (${debugString(current)}) for document {${idString(ctx.root)}}`,
      );
    element.set(result);
    return 'updated';
  }
}

const BIT_FORMAT = '{$bit: {field: {and/or/xor: #}}';

export class BitNode extends ModifierNode {
  private readonly operations: { operator: BitOperator; operand: Int32 | Long }[] = [];

  constructor(value: BsonValue) {
    super();
    if (!(value instanceof Map))
      throw new CommandError(
        'BadValue',
        `The $bit modifier is not compatible with a ${typeAlias[typeOf(value)]}. You must pass in an embedded document: ${BIT_FORMAT}`,
      );
    for (const [name, operand] of value) {
      if (name !== 'and' && name !== 'or' && name !== 'xor')
        throw new CommandError(
          'BadValue',
          `The $bit modifier only supports 'and', 'or', and 'xor', not '${name}' which is an unknown operator: {${elementString(name, operand)}}`,
        );
      const number = asNumber(operand);
      if (!number || !isIntegral(number))
        throw new CommandError(
          'BadValue',
          `The $bit modifier field must be an Integer(32/64 bit); a '${typeAlias[typeOf(operand)]}' is not supported here: {${elementString(name, operand)}}`,
        );
      this.operations.push({ operator: name, operand: number });
    }
    if (this.operations.length === 0)
      throw new CommandError(
        'BadValue',
        `You must pass in at least one bitwise operation. The format is: ${BIT_FORMAT}`,
      );
  }

  protected override allowsCreation(): boolean {
    return true;
  }

  protected override newValue(): BsonValue {
    return this.applyTo(new Int32(0));
  }

  protected updateExisting(element: ElementRef, _path: unknown, ctx: ApplyContext): ModifyResult {
    const current = asNumber(element.value);
    if (!current || !isIntegral(current))
      throw new CommandError(
        'BadValue',
        `Cannot apply $bit to a value of non-integral type.${idString(ctx.root)} has the field ${element.name} of non-integer type ${typeAlias[typeOf(element.value)]}`,
      );
    const result = this.applyTo(current);
    if (identicalNumbers(result, current)) return 'noop';
    element.set(result);
    return 'updated';
  }

  private applyTo(value: Int32 | Long): Int32 | Long {
    return this.operations.reduce((result, { operator, operand }) => bitwise(operator, result, operand), value);
  }
}
