// Reading role names from user management commands: a string names a role of the command's database,
// a `{ role, db }` document names one anywhere.
import type { BsonValue } from '../bson/values.js';
import { CommandError } from '../errors.js';
import type { RoleName } from './privileges.js';
import { isBuiltinRole } from './roles.js';

export function parseRoleName(value: BsonValue, db: string, path: string): RoleName {
  if (typeof value === 'string') return { role: value, db };
  if (value instanceof Map) {
    const role = value.get('role');
    const roleDb = value.get('db');
    if (typeof role !== 'string')
      throw new CommandError(40414, `BSON field '${path}.role' is missing but a required field`);
    if (typeof roleDb !== 'string')
      throw new CommandError(40414, `BSON field '${path}.db' is missing but a required field`);
    return { role, db: roleDb };
  }
  throw new CommandError('BadValue', `Role names must be either strings or objects`);
}

export function parseRoleNames(value: BsonValue | undefined, db: string, path: string): RoleName[] {
  if (value === undefined) throw new CommandError(40414, `BSON field '${path}' is missing but a required field`);
  if (!Array.isArray(value))
    throw new CommandError('TypeMismatch', `BSON field '${path}' is the wrong type, expected type 'array'`);
  return value.map((item, index) => parseRoleName(item, db, `${path}.${index}`));
}

/** Throws RoleNotFound as mongod words it when a role does not exist (only built-in roles exist here). */
export function checkRolesExist(roles: readonly RoleName[]): void {
  const unknown = [...new Set(roles.filter((role) => !isBuiltinRole(role.role, role.db)).map(roleToString))];
  if (unknown.length === 0) return;
  throw new CommandError('RoleNotFound', `Could not find role${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`);
}

export function roleToString(role: RoleName): string {
  return `${role.role}@${role.db}`;
}

export function sameRole(a: RoleName, b: RoleName): boolean {
  return a.role === b.role && a.db === b.db;
}
