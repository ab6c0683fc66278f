// The sandbox's user store (mongod keeps it in admin.system.users): one entry per user@db with its SCRAM
// credentials, custom data and granted roles. Passwords are never kept, only the derived credentials.
import { randomBytes } from 'node:crypto';
import { Binary, type BsonDoc } from '../bson/values.js';
import type { RoleName } from './privileges.js';
import { createScramCredential, scramMechanisms, type ScramCredential, type ScramMechanism } from './scram.js';

export interface StoredUser {
  /** "<db>.<user>", as mongod's _id. */
  readonly id: string;
  readonly userId: Binary;
  readonly user: string;
  readonly db: string;
  credentials: Map<ScramMechanism, ScramCredential>;
  customData?: BsonDoc;
  roles: RoleName[];
}

export interface NewUser {
  readonly user: string;
  readonly db: string;
  readonly password: string;
  readonly mechanisms?: readonly ScramMechanism[];
  /** False when the SCRAM-SHA-1 password was already digested by the client (digestPassword: false). */
  readonly digestPassword?: boolean;
  readonly customData?: BsonDoc;
  readonly roles: RoleName[];
}

/** Credentials for the mechanisms, always in mongod's order (SCRAM-SHA-1 before SCRAM-SHA-256). */
export function credentialsFor(
  user: string,
  password: string,
  mechanisms: readonly ScramMechanism[] = scramMechanisms,
  digestPassword = true,
): Map<ScramMechanism, ScramCredential> {
  const wanted = scramMechanisms.filter((mechanism) => mechanisms.includes(mechanism));
  return new Map(
    wanted.map((mechanism) => [mechanism, createScramCredential(mechanism, user, password, !digestPassword)]),
  );
}

export class UserStore {
  private readonly users = new Map<string, StoredUser>();

  get(user: string, db: string): StoredUser | undefined {
    return this.users.get(`${db}.${user}`);
  }

  /** Adds the user; returns false when user@db already exists. */
  create(spec: NewUser): boolean {
    const id = `${spec.db}.${spec.user}`;
    if (this.users.has(id)) return false;
    this.users.set(id, {
      id,
      userId: new Binary(randomBytes(16), Binary.SUBTYPE_UUID),
      user: spec.user,
      db: spec.db,
      credentials: credentialsFor(spec.user, spec.password, spec.mechanisms, spec.digestPassword),
      customData: spec.customData,
      roles: [...spec.roles],
    });
    return true;
  }

  drop(user: string, db: string): boolean {
    return this.users.delete(`${db}.${user}`);
  }

  dropAll(db: string): number {
    const names = [...this.users.values()].filter((entry) => entry.db === db);
    for (const entry of names) this.users.delete(entry.id);
    return names.length;
  }

  /** Every user, ordered by user name then database as usersInfo returns them. */
  list(): StoredUser[] {
    return [...this.users.values()].sort((a, b) =>
      a.user === b.user ? compareStrings(a.db, b.db) : compareStrings(a.user, b.user),
    );
  }
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The store a sandbox starts with: with `auth`, that user exists in admin with the root role. */
export function initialUsers(auth?: { user: string; password: string }): UserStore {
  const store = new UserStore();
  if (auth)
    store.create({ user: auth.user, db: 'admin', password: auth.password, roles: [{ role: 'root', db: 'admin' }] });
  return store;
}
