// User management: createUser, updateUser, dropUser, dropAllUsersFromDatabase, grantRolesToUser,
// revokeRolesFromUser, usersInfo and rolesInfo (built-in roles only: the sandbox has no createRole).
import type { BsonValue } from '../bson/values.js';
import { CommandError } from '../errors.js';
import { compileFilter } from '../query/matcher.js';
import { checkRolesExist, parseRoleName, parseRoleNames, roleToString, sameRole } from '../auth/role-names.js';
import { listedRoleDoc, namedRoleDoc, userDoc, userFragment } from '../auth/reports.js';
import { builtinRoleNames, isBuiltinRole } from '../auth/roles.js';
import {
  customDataArg,
  mechanismsArg,
  parseUserName,
  passwordArgs,
  rejectAuthenticationRestrictions,
  userNameArg,
  type UserName,
} from '../auth/user-args.js';
import { credentialsFor, type StoredUser } from '../auth/users.js';
import { numberOption } from '../storage/writer.js';
import { optionalArray, optionalBool, optionalDoc } from './args.js';
import type { CommandContext, CommandSpec } from './types.js';

function existingUser(ctx: CommandContext, name: string): StoredUser {
  const user = ctx.sandbox.users.get(name, ctx.db);
  if (!user) throw new CommandError('UserNotFound', `Could not find user "${name}" for db "${ctx.db}"`);
  return user;
}

const createUser: CommandSpec = {
  name: 'createUser',
  write: true,
  run(ctx) {
    if (ctx.db === 'local') throw new CommandError('BadValue', 'Cannot create users in the local database');
    const name = userNameArg(ctx.body, 'createUser');
    if (ctx.db === '$external')
      throw new CommandError('BadValue', 'The sandbox does not support users on the $external database');
    const password = passwordArgs(ctx.body);
    if (!password)
      throw new CommandError(
        'BadValue',
        "Must provide a 'pwd' field for all user documents, except those with '$external' as the user's source db",
      );
    rejectAuthenticationRestrictions(ctx.body);
    const customData = customDataArg(ctx.body);
    const roles = parseRoleNames(ctx.body.get('roles'), ctx.db, 'createUser.roles');
    checkRolesExist(roles);
    const created = ctx.sandbox.users.create({ user: name, db: ctx.db, ...password, customData, roles });
    if (!created) throw new CommandError('UserAlreadyExists', `User "${name}@${ctx.db}" already exists`);
    return {};
  },
};

const updateUser: CommandSpec = {
  name: 'updateUser',
  write: true,
  run(ctx) {
    const name = userNameArg(ctx.body, 'updateUser');
    const password = passwordArgs(ctx.body);
    const mechanisms = mechanismsArg(ctx.body);
    const customData = customDataArg(ctx.body);
    rejectAuthenticationRestrictions(ctx.body);
    const rolesValue = ctx.body.get('roles');
    const roles = rolesValue === undefined ? undefined : parseRoleNames(rolesValue, ctx.db, 'updateUser.roles');
    if (!password && !mechanisms && !customData && !roles)
      throw new CommandError('BadValue', 'Must specify at least one field to update in updateUser');
    const user = ctx.sandbox.users.get(name, ctx.db);
    if (!user) throw new CommandError('UserNotFound', `User ${name}@${ctx.db} not found`);
    if (roles) checkRolesExist(roles);
    if (password)
      user.credentials = credentialsFor(name, password.password, password.mechanisms, password.digestPassword);
    else if (mechanisms) {
      if (mechanisms.some((mechanism) => !user.credentials.has(mechanism)))
        throw new CommandError('BadValue', 'mechanisms field must be a subset of previously set mechanisms');
      user.credentials = new Map([...user.credentials].filter(([mechanism]) => mechanisms.includes(mechanism)));
    }
    if (customData) user.customData = customData;
    if (roles) user.roles = roles;
    return {};
  },
};

const dropUser: CommandSpec = {
  name: 'dropUser',
  write: true,
  run(ctx) {
    const name = userNameArg(ctx.body, 'dropUser');
    if (!ctx.sandbox.users.drop(name, ctx.db))
      throw new CommandError('UserNotFound', `User '${name}@${ctx.db}' not found`);
    return {};
  },
};

const dropAllUsersFromDatabase: CommandSpec = {
  name: 'dropAllUsersFromDatabase',
  write: true,
  run: (ctx) => ({ n: ctx.sandbox.users.dropAll(ctx.db) }),
};

function changeRoles(command: 'grantRolesToUser' | 'revokeRolesFromUser'): CommandSpec {
  return {
    name: command,
    write: true,
    run(ctx) {
      const name = userNameArg(ctx.body, command);
      const roles = parseRoleNames(ctx.body.get('roles'), ctx.db, `${command}.roles`);
      if (roles.length === 0)
        throw new CommandError('BadValue', `${command} command requires a non-empty "roles" array`);
      const user = existingUser(ctx, name);
      checkRolesExist(roles);
      const kept = user.roles.filter((held) => !roles.some((role) => sameRole(role, held)));
      user.roles = command === 'grantRolesToUser' ? [...kept, ...uniqueRoles(roles)] : kept;
      return {};
    },
  };
}

function uniqueRoles<T extends { role: string; db: string }>(roles: readonly T[]): T[] {
  return [...new Map(roles.map((role) => [roleToString(role), role])).values()];
}

type UserSelection =
  { readonly kind: 'all' } | { readonly kind: 'database' } | { readonly kind: 'exact'; readonly names: UserName[] };

function userSelection(ctx: CommandContext): UserSelection {
  const arg = ctx.body.get('usersInfo');
  if (arg instanceof Map && arg.has('forAllDBs')) {
    if (arg.get('forAllDBs') !== true) throw new CommandError('BadValue', 'forAllDBs must be true');
    return { kind: 'all' };
  }
  if (numberOption(arg) !== undefined) return { kind: 'database' };
  const names = Array.isArray(arg) ? arg : arg === undefined ? [] : [arg];
  return { kind: 'exact', names: names.map((name, index) => parseUserName(name, ctx.db, `usersInfo.${index}`)) };
}

const usersInfo: CommandSpec = {
  name: 'usersInfo',
  run(ctx) {
    const options = {
      showCredentials: optionalBool(ctx.body, 'showCredentials') ?? false,
      showCustomData: optionalBool(ctx.body, 'showCustomData') ?? true,
      showPrivileges: optionalBool(ctx.body, 'showPrivileges') ?? false,
      showAuthenticationRestrictions: optionalBool(ctx.body, 'showAuthenticationRestrictions') ?? false,
    };
    const filter = optionalDoc(ctx.body, 'filter');
    const selection = userSelection(ctx);
    const { users } = ctx.sandbox;
    if (options.showPrivileges || options.showAuthenticationRestrictions) {
      if (filter || selection.kind !== 'exact')
        throw new CommandError(
          'IllegalOperation',
          'Privilege or restriction details require exact-match usersInfo queries',
        );
      const found = selection.names.flatMap((name) => users.get(name.user, name.db) ?? []);
      return { users: found.map((user) => userDoc(user, options)) };
    }
    const selected = users.list().filter((user) => {
      if (selection.kind === 'database') return user.db === ctx.db;
      if (selection.kind === 'exact')
        return selection.names.some((name) => name.user === user.user && name.db === user.db);
      return true;
    });
    const matches = compileFilter(filter);
    return { users: selected.map((user) => userDoc(user, options)).filter(matches) };
  },
};

/** The roles rolesInfo asks about, or undefined for `rolesInfo: 1` (every role of the database). */
function roleNamesArg(ctx: CommandContext): BsonValue[] | undefined {
  const arg = ctx.body.get('rolesInfo');
  if (typeof arg === 'string' || arg instanceof Map) return [arg];
  if (numberOption(arg) !== undefined) return undefined;
  const names = optionalArray(ctx.body, 'rolesInfo');
  if (!names) throw new CommandError(40414, "BSON field 'rolesInfo.rolesInfo' is missing but a required field");
  return names;
}

const rolesInfo: CommandSpec = {
  name: 'rolesInfo',
  run(ctx) {
    const showPrivilegesValue = ctx.body.get('showPrivileges');
    const asUserFragment = showPrivilegesValue === 'asUserFragment';
    const options = {
      showPrivileges: asUserFragment || (optionalBool(ctx.body, 'showPrivileges') ?? false),
      showAuthenticationRestrictions: optionalBool(ctx.body, 'showAuthenticationRestrictions') ?? false,
    };
    const names = roleNamesArg(ctx);
    if (!names) {
      if (asUserFragment)
        throw new CommandError('IllegalOperation', 'Cannot get user fragment for all roles in a database');
      const listed = optionalBool(ctx.body, 'showBuiltinRoles') ? builtinRoleNames(ctx.db) : [];
      return { roles: listed.map((role) => listedRoleDoc({ role, db: ctx.db }, options)) };
    }
    const roles = names.map((name, index) => parseRoleName(name, ctx.db, `rolesInfo.${index}`));
    if (asUserFragment) return { userFragment: userFragment(roles, options.showAuthenticationRestrictions) };
    const known = roles.filter((role) => isBuiltinRole(role.role, role.db));
    return { roles: known.map((role) => namedRoleDoc(role, options)) };
  },
};

export const userManagementCommands: CommandSpec[] = [
  createUser,
  updateUser,
  dropUser,
  dropAllUsersFromDatabase,
  changeRoles('grantRolesToUser'),
  changeRoles('revokeRolesFromUser'),
  usersInfo,
  rolesInfo,
];
