// The server parameters getParameter reports and setParameter may change: the ones the sandbox
// honours (session and transaction lifetimes) and the ones clients and tools commonly read, with
// mongod 8.0's defaults and runtime/startup settability.
import { numberOption } from './storage/writer.js';
import type { BsonValue, EncodableValue } from './bson/values.js';
import { CommandError } from './errors.js';

interface Parameter {
  value: EncodableValue;
  readonly settableAtRuntime: boolean;
  readonly settableAtStartup: boolean;
  /** Checks a new value and returns it as stored; absent for parameters that accept any value. */
  readonly accept?: (value: BsonValue) => EncodableValue;
}

function wholeNumber(name: string, minimum: number): (value: BsonValue) => number {
  return (value) => {
    const number = numberOption(value);
    if (number === undefined || !Number.isInteger(number))
      throw new CommandError('BadValue', `Invalid value for parameter ${name}: expected a whole number`);
    if (number < minimum) throw new CommandError('BadValue', `${name} must be greater than or equal to ${minimum}`);
    return number;
  };
}

function flag(name: string): (value: BsonValue) => boolean {
  return (value) => {
    if (typeof value === 'boolean') return value;
    const number = numberOption(value);
    if (number === undefined)
      throw new CommandError('BadValue', `Invalid value for parameter ${name}: expected a bool`);
    return number !== 0;
  };
}

function defaults(): [string, Parameter][] {
  const runtime = (value: EncodableValue, accept?: Parameter['accept']): Parameter => ({
    value,
    settableAtRuntime: true,
    settableAtStartup: true,
    accept,
  });
  const startupOnly = (value: EncodableValue): Parameter => ({
    value,
    settableAtRuntime: false,
    settableAtStartup: true,
  });
  return [
    ['authenticationMechanisms', startupOnly(['SCRAM-SHA-1', 'SCRAM-SHA-256'])],
    ['cursorTimeoutMillis', runtime(600_000n, (value) => BigInt(wholeNumber('cursorTimeoutMillis', 0)(value)))],
    ['enableTestCommands', startupOnly(true)],
    ['featureCompatibilityVersion', { value: { version: '8.0' }, settableAtRuntime: false, settableAtStartup: false }],
    ['localLogicalSessionTimeoutMinutes', startupOnly(30)],
    ['logicalSessionRefreshMillis', startupOnly(300_000)],
    ['logLevel', runtime(0, wholeNumber('logLevel', 0))],
    ['maxTransactionLockRequestTimeoutMillis', runtime(5, wholeNumber('maxTransactionLockRequestTimeoutMillis', -1))],
    ['notablescan', runtime(false, flag('notablescan'))],
    ['quiet', runtime(false, flag('quiet'))],
    ['transactionLifetimeLimitSeconds', runtime(60, wholeNumber('transactionLifetimeLimitSeconds', 1))],
  ];
}

export class ServerParameters {
  private readonly parameters = new Map<string, Parameter>(defaults());

  names(): string[] {
    return [...this.parameters.keys()];
  }

  has(name: string): boolean {
    return this.parameters.has(name);
  }

  value(name: string): EncodableValue {
    const parameter = this.parameters.get(name);
    if (!parameter) throw new Error(`unknown server parameter ${name}`);
    return parameter.value;
  }

  details(name: string): Record<string, EncodableValue> {
    const parameter = this.parameters.get(name);
    if (!parameter) throw new Error(`unknown server parameter ${name}`);
    const { value, settableAtRuntime, settableAtStartup } = parameter;
    return { value, settableAtRuntime, settableAtStartup };
  }

  /** Changes a runtime parameter and returns its previous value. */
  set(name: string, value: BsonValue): EncodableValue {
    const parameter = this.parameters.get(name);
    if (!parameter)
      throw new CommandError(
        'InvalidOptions',
        `attempted to set unrecognized parameter [${name}], use help:true to see options `,
      );
    if (!parameter.settableAtRuntime || !parameter.accept)
      throw new CommandError('IllegalOperation', `not allowed to change [${name}] at runtime`);
    const previous = parameter.value;
    parameter.value = parameter.accept(value);
    return previous;
  }

  get transactionLifetimeMs(): number {
    return Number(this.value('transactionLifetimeLimitSeconds')) * 1000;
  }

  get sessionTimeoutMs(): number {
    return Number(this.value('localLogicalSessionTimeoutMinutes')) * 60_000;
  }
}
