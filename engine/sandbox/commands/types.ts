// The contract between the dispatcher and command handlers.
import type { BsonDoc, EncodableValue } from '../bson/values.js';
import type { Sandbox } from '../sandbox.js';
import type { ConnectionState } from '../connection-state.js';

export interface CommandContext {
  readonly sandbox: Sandbox;
  readonly connection: ConnectionState;
  /** The command name exactly as sent (first field of the body). */
  readonly name: string;
  /** $db of the request. */
  readonly db: string;
  /** The command body, decoded without losing types. */
  readonly body: BsonDoc;
  /** OP_MSG document sequences (e.g. `documents`, `updates`), each document as bytes. */
  readonly sequences: Map<string, Buffer[]>;
}

export type CommandReply = Record<string, EncodableValue>;

export interface CommandSpec {
  readonly name: string;
  readonly aliases?: readonly string[];
  /** Commands that work before authentication (hello, saslStart, ...). */
  readonly noAuth?: boolean;
  /** Commands that need a writable primary (NotWritablePrimary while stepped down). */
  readonly write?: boolean;
  /** Commands that must be run against the admin database. */
  readonly adminOnly?: boolean;
  run(ctx: CommandContext): CommandReply | Promise<CommandReply>;
}
