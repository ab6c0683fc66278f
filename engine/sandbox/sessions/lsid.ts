// Logical session ids: checked as mongod parses them, keyed the way cursors remember their session
// (commands/cursor-reply.ts), and printed the way mongod prints them in error messages.
import { createHash } from 'node:crypto';
import { Binary, typeAlias, typeOf, type BsonDoc, type BsonValue } from '../bson/values.js';
import { lsidKey } from '../commands/cursor-reply.js';
import type { ConnectionState } from '../connection-state.js';
import { CommandError } from '../errors.js';

export interface SessionId {
  /** The key cursors opened under this session carry. */
  readonly key: string;
  /** The id as the client sent it. */
  readonly lsid: BsonDoc;
  /** The 16 UUID bytes. */
  readonly id: Buffer;
  /** SHA-256 of the authenticated user (of "" without authentication), as mongod derives it. */
  readonly uid: Buffer;
}

export function parseSessionId(value: BsonValue, field: string, connection: ConnectionState): SessionId {
  if (!(value instanceof Map))
    throw new CommandError(
      'TypeMismatch',
      `BSON field '${field}' is the wrong type '${typeAlias[typeOf(value)]}', expected type 'object'`,
    );
  const id = value.get('id');
  if (id === undefined) throw new CommandError(40414, `BSON field '${field}.id' is missing but a required field`);
  if (!(id instanceof Binary))
    throw new CommandError(
      'TypeMismatch',
      `BSON field '${field}.id' is the wrong type '${typeAlias[typeOf(id)]}', expected type 'binData'`,
    );
  if (id.sub_type !== Binary.SUBTYPE_UUID || id.length() !== 16)
    throw new CommandError('BadValue', `BSON field '${field}.id' is not a UUID`);
  const user = connection.user ? `${connection.user.name}@${connection.user.db}` : '';
  return {
    key: lsidKey(value),
    lsid: value,
    id: Buffer.from(id.buffer.subarray(0, id.position)),
    uid: createHash('sha256').update(user).digest(),
  };
}

/** The session as mongod writes it in messages: `<uuid> - <uid base64> -  - `. */
export function describeSession(session: SessionId): string {
  const hex = session.id.toString('hex');
  const uuid = [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join('-');
  return `${uuid} - ${session.uid.toString('base64')} -  - `;
}
