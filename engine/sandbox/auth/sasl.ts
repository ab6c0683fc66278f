// SASL conversations on a connection: saslStart, saslContinue and the speculative saslStart inside
// hello all go through here. As in mongod the conversation id is always 1, a failed step ends the
// conversation, and the client learns only "Authentication failed.".
import { Binary, type BsonDoc, type BsonValue, type EncodableValue } from '../bson/values.js';
import type { ConnectionState } from '../connection-state.js';
import { CommandError } from '../errors.js';
import type { Sandbox } from '../sandbox.js';
import { isScramMechanism, ScramConversation, ScramError, type ScramStep } from './scram.js';
import { logIn } from './session.js';

class SaslSession {
  constructor(
    readonly db: string,
    readonly conversation: ScramConversation,
  ) {}
}

/** A SASL payload: drivers send binary, the legacy shell sent base64 strings (answered in kind). */
interface Payload {
  readonly bytes: Buffer;
  readonly asBase64: boolean;
}

export function readPayload(value: BsonValue | undefined, command: string): Payload {
  if (value instanceof Binary) return { bytes: Buffer.from(value.buffer.subarray(0, value.position)), asBase64: false };
  if (typeof value === 'string') return { bytes: Buffer.from(value, 'base64'), asBase64: true };
  if (value === undefined)
    throw new CommandError(40414, `BSON field '${command}.payload' is missing but a required field`);
  throw new CommandError(
    'TypeMismatch',
    `BSON field '${command}.payload' is the wrong type, expected types '[string, binData]'`,
  );
}

type SaslReply = Record<string, EncodableValue>;

function replyOf(done: boolean, payload: Buffer, asBase64: boolean): SaslReply {
  return { conversationId: 1, done, payload: asBase64 ? payload.toString('base64') : new Binary(payload, 0) };
}

const authenticationFailed = (): CommandError => new CommandError('AuthenticationFailed', 'Authentication failed.');

function runStep(connection: ConnectionState, session: SaslSession, payload: Payload): ScramStep {
  try {
    return session.conversation.next(payload.bytes);
  } catch (error) {
    connection.sasl = undefined;
    if (error instanceof ScramError || error instanceof CommandError) throw authenticationFailed();
    throw error;
  }
}

function step(sandbox: Sandbox, connection: ConnectionState, session: SaslSession, payload: Payload): SaslReply {
  const result = runStep(connection, session, payload);
  if (result.done) {
    connection.sasl = undefined;
    const user = sandbox.users.get(session.conversation.principal, session.db);
    if (!user) throw authenticationFailed();
    logIn(connection, user);
  }
  return replyOf(result.done, result.payload, payload.asBase64);
}

export function startSasl(
  sandbox: Sandbox,
  connection: ConnectionState,
  db: string,
  mechanism: string,
  payload: Payload,
  options: BsonDoc | undefined,
): SaslReply {
  connection.sasl = undefined;
  if (!isScramMechanism(mechanism))
    throw new CommandError('BadValue', `Unsupported mechanism '${mechanism}' on authentication database '${db}'`);
  const skipEmptyExchange = options?.get('skipEmptyExchange') === true;
  const conversation = new ScramConversation(
    mechanism,
    (name) => sandbox.users.get(name, db)?.credentials.get(mechanism),
    skipEmptyExchange,
  );
  const session = new SaslSession(db, conversation);
  connection.sasl = session;
  return step(sandbox, connection, session, payload);
}

export function continueSasl(
  sandbox: Sandbox,
  connection: ConnectionState,
  conversationId: number | undefined,
  payload: Payload,
): SaslReply {
  const session = connection.sasl;
  if (!(session instanceof SaslSession)) throw new CommandError('ProtocolError', 'No SASL session state found');
  if (conversationId !== 1) throw new CommandError('ProtocolError', 'sasl: Mismatched conversation id');
  return step(sandbox, connection, session, payload);
}
