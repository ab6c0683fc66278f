// configureFailPoint: the test command drivers' spec tests use to make the server misbehave on cue.
import type { BsonDoc, BsonValue } from '../bson/values.js';
import { CommandError } from '../errors.js';
import { SUPPORTED_FAIL_POINTS, type FailPoint, type FailPointMode } from '../fail-points.js';
import { numberOption } from '../storage/writer.js';
import { optionalDoc } from './args.js';
import type { CommandSpec } from './types.js';

/** Parses configureFailPoint's `mode` as mongod's FailPoint::parseBSON does. */
function parseFailPointMode(value: BsonValue | undefined): FailPointMode {
  if (value === undefined)
    throw new CommandError('IllegalOperation', "When setting a failpoint, you must supply a 'mode'");
  if (typeof value === 'string') {
    if (value === 'off' || value === 'alwaysOn') return { kind: value };
    throw new CommandError('BadValue', `unknown mode: ${value}`);
  }
  if (!(value instanceof Map)) throw new CommandError('TypeMismatch', "'mode' must be a string or JSON object");
  for (const option of ['times', 'skip'] as const) {
    if (!value.has(option)) continue;
    const count = numberOption(value.get(option));
    if (count === undefined || !Number.isInteger(count))
      throw new CommandError('TypeMismatch', `'${option}' option to 'mode' must be an integer`);
    if (count < 0) throw new CommandError('BadValue', `'${option}' option to 'mode' must be positive`);
    if (count > 2 ** 31 - 1) throw new CommandError('BadValue', `'${option}' option to 'mode' is too large`);
    return option === 'times' && count === 0 ? { kind: 'off' } : { kind: option, remaining: count };
  }
  if (value.has('activationProbability')) {
    const probability = numberOption(value.get('activationProbability'));
    const message = "the 'activationProbability' option to 'mode' must be a double between 0 and 1";
    if (probability === undefined) throw new CommandError('TypeMismatch', message);
    if (probability < 0 || probability > 1) throw new CommandError('BadValue', message);
    return { kind: 'activationProbability', probability };
  }
  throw new CommandError('BadValue', "mode must have one of the fields 'times', 'skip', or 'activationProbability'");
}

/** Turns a fail point on or off; returns how often it had fired before (configureFailPoint's `count`). */
function configureFailPoint(failPoint: FailPoint, mode: FailPointMode, data: BsonDoc): number {
  failPoint.mode = mode;
  failPoint.data = data;
  return failPoint.timesEntered;
}

const configureFailPointCommand: CommandSpec = {
  name: 'configureFailPoint',
  adminOnly: true,
  run(ctx) {
    const name = ctx.body.get('configureFailPoint');
    if (typeof name !== 'string') throw new CommandError('TypeMismatch', 'configureFailPoint must be a string');
    const failPoint = ctx.sandbox.failPoints.find(name);
    if (!failPoint)
      throw new CommandError(
        'BadValue',
        `The sandbox does not support the fail point '${name}'; it supports only ${SUPPORTED_FAIL_POINTS.join(' and ')}`,
      );
    const mode = parseFailPointMode(ctx.body.get('mode'));
    const data = optionalDoc(ctx.body, 'data') ?? new Map();
    return { count: configureFailPoint(failPoint, mode, data) };
  },
};

export const failPointCommands: CommandSpec[] = [configureFailPointCommand];
