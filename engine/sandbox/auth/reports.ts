// The documents usersInfo, rolesInfo and connectionStatus answer with, field for field in mongod's
// order, because migration tools check privileges by reading exactly these shapes.
import { Int32, type BsonDoc, type BsonValue } from '../bson/values.js';
import { privilegeDoc, privilegesOf, type RoleName } from './privileges.js';
import type { StoredUser } from './users.js';

type Fields = [string, BsonValue][];

export function roleDoc(role: RoleName): BsonDoc {
  return new Map<string, BsonValue>([
    ['role', role.role],
    ['db', role.db],
  ]);
}

export function privilegeDocs(roles: readonly RoleName[]): BsonDoc[] {
  return privilegesOf(roles).list().map(privilegeDoc);
}

function credentialsDoc(user: StoredUser): BsonDoc {
  return new Map<string, BsonValue>(
    [...user.credentials].map(([mechanism, credential]) => [
      mechanism,
      new Map<string, BsonValue>([
        ['iterationCount', new Int32(credential.iterationCount)],
        ['salt', credential.salt],
        ['storedKey', credential.storedKey],
        ['serverKey', credential.serverKey],
      ]),
    ]),
  );
}

export interface UserDocOptions {
  readonly showCredentials: boolean;
  readonly showCustomData: boolean;
  readonly showPrivileges: boolean;
  readonly showAuthenticationRestrictions: boolean;
}

/** A usersInfo entry; with privileges it is mongod's user description, otherwise the stored document. */
export function userDoc(user: StoredUser, options: UserDocOptions): BsonDoc {
  const mechanisms: Fields = [['mechanisms', [...user.credentials.keys()]]];
  const credentials: Fields = options.showCredentials ? [['credentials', credentialsDoc(user)]] : [];
  const customData: Fields = options.showCustomData && user.customData ? [['customData', user.customData]] : [];
  const roles: Fields = [['roles', user.roles.map(roleDoc)]];
  const identity: Fields = [
    ['_id', user.id],
    ['userId', user.userId],
    ['user', user.user],
    ['db', user.db],
  ];
  if (!options.showPrivileges) return new Map([...identity, ...credentials, ...customData, ...roles, ...mechanisms]);
  return new Map([
    ...identity,
    ...mechanisms,
    ...credentials,
    ...customData,
    ...roles,
    ...(options.showAuthenticationRestrictions ? ([['authenticationRestrictions', []]] as Fields) : []),
    ['inheritedRoles', user.roles.map(roleDoc)],
    ['inheritedPrivileges', privilegeDocs(user.roles)],
    ['inheritedAuthenticationRestrictions', []],
  ]);
}

export interface RoleDocOptions {
  readonly showPrivileges: boolean;
  readonly showAuthenticationRestrictions: boolean;
}

/** A built-in role as rolesInfo describes it when asked for it by name. */
export function namedRoleDoc(role: RoleName, options: RoleDocOptions): BsonDoc {
  const privileges = options.showPrivileges ? privilegeDocs([role]) : [];
  return new Map<string, BsonValue>([
    ['db', role.db],
    ['role', role.role],
    ['roles', []],
    ...(options.showPrivileges ? ([['privileges', privileges]] as Fields) : []),
    ...(options.showAuthenticationRestrictions ? ([['authenticationRestrictions', []]] as Fields) : []),
    ['inheritedRoles', []],
    ...(options.showPrivileges ? ([['inheritedPrivileges', privileges]] as Fields) : []),
    ...(options.showAuthenticationRestrictions ? ([['inheritedAuthenticationRestrictions', []]] as Fields) : []),
    ['isBuiltin', true],
  ]);
}

/** A built-in role as `rolesInfo: 1, showBuiltinRoles: true` lists it (mongod orders these fields differently). */
export function listedRoleDoc(role: RoleName, options: RoleDocOptions): BsonDoc {
  const privileges = options.showPrivileges ? privilegeDocs([role]) : [];
  return new Map<string, BsonValue>([
    ['role', role.role],
    ['db', role.db],
    ['isBuiltin', true],
    ['roles', []],
    ['inheritedRoles', []],
    ...(options.showPrivileges
      ? ([
          ['privileges', privileges],
          ['inheritedPrivileges', privileges],
        ] as Fields)
      : []),
    ...(options.showAuthenticationRestrictions
      ? ([
          ['authenticationRestrictions', []],
          ['inheritedAuthenticationRestrictions', []],
        ] as Fields)
      : []),
  ]);
}

/** rolesInfo with `showPrivileges: 'asUserFragment'`: the roles merged as a user would hold them. */
export function userFragment(roles: readonly RoleName[], showAuthenticationRestrictions: boolean): BsonDoc {
  return new Map<string, BsonValue>([
    ['roles', roles.map(roleDoc)],
    ['inheritedRoles', roles.map(roleDoc)],
    ['inheritedPrivileges', privilegeDocs(roles)],
    ...(showAuthenticationRestrictions ? ([['inheritedAuthenticationRestrictions', []]] as Fields) : []),
  ]);
}
