// Privileges: built-in roles expanded into (resource pattern, actions) pairs, merged per resource as
// mongod merges them, and the check whether they allow an action on a resource. The matching follows
// mongod's resource search list: a database privilege covers the database's normal collections, "any
// normal resource" skips system collections and the local and config databases.
import type { BsonDoc, BsonValue } from '../bson/values.js';
import { builtinRoles, isBuiltinRole, type PatternSpec } from './roles.js';

export interface RoleName {
  readonly role: string;
  readonly db: string;
}

export type ResourcePattern =
  | { readonly kind: 'any' | 'anyNormal' | 'cluster' | 'anySystemBuckets' }
  | { readonly kind: 'database'; readonly db: string }
  | { readonly kind: 'collectionName'; readonly collection: string }
  | { readonly kind: 'namespace'; readonly db: string; readonly collection: string };

/** What a command acts on. */
export type Resource =
  | { readonly kind: 'cluster' }
  | { readonly kind: 'anyNormal' }
  | { readonly kind: 'database'; readonly db: string }
  | { readonly kind: 'namespace'; readonly db: string; readonly collection: string };

export interface Privilege {
  readonly pattern: ResourcePattern;
  readonly actions: Set<string>;
}

const ANY_ACTION = 'anyAction';
const SYSTEM_BUCKETS = 'system.buckets.';

function patternKey(pattern: ResourcePattern): string {
  switch (pattern.kind) {
    case 'database':
      return `db:${pattern.db}`;
    case 'collectionName':
      return `coll:${pattern.collection}`;
    case 'namespace':
      return `ns:${pattern.db}.${pattern.collection}`;
    default:
      return pattern.kind;
  }
}

function resolvePattern(spec: PatternSpec, roleDb: string): ResourcePattern {
  switch (spec.match) {
    case 'database':
      return { kind: 'database', db: spec.db ?? roleDb };
    case 'collectionName':
      return { kind: 'collectionName', collection: spec.collection };
    case 'namespace':
      return { kind: 'namespace', db: spec.db ?? roleDb, collection: spec.collection };
    default:
      return { kind: spec.match };
  }
}

/** Privileges keyed by resource pattern, in the order they were first granted. */
export class PrivilegeSet {
  private readonly byPattern = new Map<string, Privilege>();

  add(pattern: ResourcePattern, actions: Iterable<string>): void {
    const key = patternKey(pattern);
    const existing = this.byPattern.get(key);
    if (existing) for (const action of actions) existing.actions.add(action);
    else this.byPattern.set(key, { pattern, actions: new Set(actions) });
  }

  list(): Privilege[] {
    return [...this.byPattern.values()];
  }

  /** Whether the actions granted on every pattern that matches `resource` include all of `actions`. */
  allows(resource: Resource, actions: readonly string[]): boolean {
    const granted = new Set<string>();
    for (const key of searchKeys(resource))
      for (const action of this.byPattern.get(key)?.actions ?? []) granted.add(action);
    return granted.has(ANY_ACTION) || actions.every((action) => granted.has(action));
  }
}

function isNormalDatabase(db: string): boolean {
  return db !== 'local' && db !== 'config';
}

/** The patterns that can grant an action on `resource` (mongod's ResourcePatternSearchList). */
function searchKeys(resource: Resource): string[] {
  const keys = ['any'];
  switch (resource.kind) {
    case 'cluster':
      keys.push('cluster');
      break;
    case 'anyNormal':
      keys.push('anyNormal');
      break;
    case 'database':
      if (isNormalDatabase(resource.db)) keys.push('anyNormal');
      keys.push(`db:${resource.db}`);
      break;
    case 'namespace': {
      const { db, collection } = resource;
      if (!collection.startsWith('system.')) {
        if (isNormalDatabase(db)) keys.push('anyNormal');
        keys.push(`db:${db}`);
      } else if (collection.length > SYSTEM_BUCKETS.length && collection.startsWith(SYSTEM_BUCKETS)) {
        keys.push('anySystemBuckets');
      }
      keys.push(`coll:${collection}`, `ns:${db}.${collection}`);
      break;
    }
  }
  return keys;
}

function addRolePrivileges(privileges: PrivilegeSet, role: RoleName): void {
  if (!isBuiltinRole(role.role, role.db)) return;
  const definition = builtinRoles[role.role];
  for (const subrole of definition.roles ?? [])
    addRolePrivileges(privileges, { role: subrole.role, db: subrole.db ?? role.db });
  for (const spec of definition.privileges) privileges.add(resolvePattern(spec, role.db), spec.actions);
}

/** Everything the given roles allow, inherited roles included. */
export function privilegesOf(roles: readonly RoleName[]): PrivilegeSet {
  const privileges = new PrivilegeSet();
  for (const role of roles) addRolePrivileges(privileges, role);
  return privileges;
}

function resourceFields(pattern: ResourcePattern): [string, BsonValue][] {
  switch (pattern.kind) {
    case 'any':
      return [['anyResource', true]];
    case 'cluster':
      return [['cluster', true]];
    case 'anyNormal':
      return [
        ['db', ''],
        ['collection', ''],
      ];
    case 'anySystemBuckets':
      return [['system_buckets', '']];
    case 'database':
      return [
        ['db', pattern.db],
        ['collection', ''],
      ];
    case 'collectionName':
      return [
        ['db', ''],
        ['collection', pattern.collection],
      ];
    case 'namespace':
      return [
        ['db', pattern.db],
        ['collection', pattern.collection],
      ];
  }
}

/** A privilege as mongod reports it: `{ resource: {...}, actions: [...] }`, actions in sorted order. */
export function privilegeDoc(privilege: Privilege): BsonDoc {
  return new Map<string, BsonValue>([
    ['resource', new Map(resourceFields(privilege.pattern))],
    ['actions', [...privilege.actions].sort()],
  ]);
}
