// Reading createUser and updateUser arguments with mongod's checks and messages.
import { optionalArray, optionalBool, optionalDoc, optionalString } from '../commands/args.js';
import type { BsonDoc, BsonValue } from '../bson/values.js';
import { CommandError } from '../errors.js';
import { isScramMechanism, type ScramMechanism } from './scram.js';

/** The user name a user management command addresses (its first field). */
export function userNameArg(body: BsonDoc, command: string): string {
  const name = optionalString(body, command);
  if (name === undefined)
    throw new CommandError(40414, `BSON field '${command}.${command}' is missing but a required field`);
  if (name.includes('\0')) throw new CommandError('BadValue', 'Username cannot contain NULL characters');
  if (name === '') throw new CommandError('BadValue', "User document needs 'user' field to be non-empty");
  return name;
}

export interface PasswordArgs {
  readonly password: string;
  readonly mechanisms?: ScramMechanism[];
  readonly digestPassword: boolean;
}

export function mechanismsArg(body: BsonDoc): ScramMechanism[] | undefined {
  const value = optionalArray(body, 'mechanisms');
  if (value === undefined) return undefined;
  if (value.length === 0) throw new CommandError('BadValue', 'mechanisms field must not be empty');
  return value.map((mechanism) => {
    if (typeof mechanism !== 'string' || !isScramMechanism(mechanism))
      throw new CommandError('BadValue', `Unknown auth mechanism '${String(mechanism)}'`);
    return mechanism;
  });
}

/** The password with the mechanisms to derive credentials for, or undefined when `pwd` is absent. */
export function passwordArgs(body: BsonDoc): PasswordArgs | undefined {
  const password = optionalString(body, 'pwd');
  const mechanisms = mechanismsArg(body);
  const digestPassword = optionalBool(body, 'digestPassword') ?? true;
  if (password === undefined) return undefined;
  if (!digestPassword && (mechanisms ?? ['SCRAM-SHA-256']).includes('SCRAM-SHA-256'))
    throw new CommandError('BadValue', 'Use of SCRAM-SHA-256 requires undigested passwords');
  return { password, mechanisms, digestPassword };
}

export function customDataArg(body: BsonDoc): BsonDoc | undefined {
  return optionalDoc(body, 'customData');
}

/** Authentication restrictions (client/server address ranges) are not modelled by the sandbox. */
export function rejectAuthenticationRestrictions(body: BsonDoc): void {
  const restrictions = optionalArray(body, 'authenticationRestrictions');
  if (restrictions && restrictions.length > 0)
    throw new CommandError('BadValue', "The sandbox does not support the 'authenticationRestrictions' option");
}

export interface UserName {
  readonly user: string;
  readonly db: string;
}

/** A user named by a string (in the command's database) or by `{ user, db }`. */
export function parseUserName(value: BsonValue, db: string, path: string): UserName {
  if (typeof value === 'string') return { user: value, db };
  if (value instanceof Map) {
    const user = value.get('user');
    const userDb = value.get('db');
    if (typeof user !== 'string')
      throw new CommandError(40414, `BSON field '${path}.user' is missing but a required field`);
    if (typeof userDb !== 'string')
      throw new CommandError(40414, `BSON field '${path}.db' is missing but a required field`);
    return { user, db: userDb };
  }
  throw new CommandError('BadValue', 'User names must be either strings or objects');
}
