// Authentication: saslStart/saslContinue (SCRAM-SHA-1 and SCRAM-SHA-256), the speculative saslStart and
// saslSupportedMechs of hello, authenticate (only for its clear refusal), logout and connectionStatus.
// User management lives in auth-users.ts and is registered together with these.
import type { EncodableValue } from '../bson/values.js';
import { CommandError } from '../errors.js';
import { privilegeDocs, roleDoc } from '../auth/reports.js';
import { continueSasl, readPayload, startSasl } from '../auth/sasl.js';
import { currentUser } from '../auth/session.js';
import { optionalBool, optionalDoc, optionalNumber, optionalString, requiredString } from './args.js';
import { userManagementCommands } from './auth-users.js';
import { extendHello } from './hello.js';
import type { CommandContext, CommandSpec } from './types.js';

const saslStart: CommandSpec = {
  name: 'saslStart',
  noAuth: true,
  run: (ctx) =>
    startSasl(
      ctx.sandbox,
      ctx.connection,
      ctx.db,
      requiredString(ctx.body, 'mechanism'),
      readPayload(ctx.body.get('payload'), 'saslStart'),
      optionalDoc(ctx.body, 'options'),
    ),
};

const saslContinue: CommandSpec = {
  name: 'saslContinue',
  noAuth: true,
  run: (ctx) =>
    continueSasl(
      ctx.sandbox,
      ctx.connection,
      optionalNumber(ctx.body, 'conversationId'),
      readPayload(ctx.body.get('payload'), 'saslContinue'),
    ),
};

// mongod 8.0 runs only MONGODB-X509 through authenticate and answers every failure with
// AuthenticationFailed; the sandbox has no client certificates, so it says why instead.
const authenticate: CommandSpec = {
  name: 'authenticate',
  noAuth: true,
  run(ctx) {
    const mechanism = optionalString(ctx.body, 'mechanism') ?? '';
    if (mechanism === 'MONGODB-X509')
      throw new CommandError('AuthenticationFailed', 'The sandbox does not support MONGODB-X509 authentication');
    throw new CommandError(
      'AuthenticationFailed',
      `Unsupported mechanism '${mechanism}' on authenticate: the sandbox supports SCRAM-SHA-1 and SCRAM-SHA-256 through saslStart`,
    );
  },
};

const logout: CommandSpec = {
  name: 'logout',
  run(ctx) {
    if (ctx.connection.user?.db === ctx.db) ctx.connection.user = undefined;
    return {};
  },
};

const connectionStatus: CommandSpec = {
  name: 'connectionStatus',
  noAuth: true,
  run(ctx) {
    const user = currentUser(ctx.sandbox, ctx.connection);
    const roles = user?.roles ?? [];
    const authInfo: Record<string, EncodableValue> = {
      authenticatedUsers: user ? [{ user: user.user, db: user.db }] : [],
      authenticatedUserRoles: roles.map(roleDoc),
    };
    if (optionalBool(ctx.body, 'showPrivileges')) authInfo.authenticatedUserPrivileges = privilegeDocs(roles);
    return { authInfo };
  },
};

/** hello's `saslSupportedMechs: "<db>.<user>"`: the mechanisms that user has credentials for. */
function supportedMechanisms(ctx: CommandContext): Record<string, EncodableValue> {
  const requested = optionalString(ctx.body, 'saslSupportedMechs');
  if (requested === undefined) return {};
  const dot = requested.indexOf('.');
  if (dot < 0) throw new CommandError('BadValue', "UserName must contain a '.' separated database.user pair");
  const user = ctx.sandbox.users.get(requested.slice(dot + 1), requested.slice(0, dot));
  return user ? { saslSupportedMechs: [...user.credentials.keys()] } : {};
}

/** hello's speculativeAuthenticate: the first saslStart, answered in the hello reply; a failure is silent. */
function speculativeAuthentication(ctx: CommandContext): Record<string, EncodableValue> {
  const request = ctx.body.get('speculativeAuthenticate');
  if (!(request instanceof Map) || !request.has('saslStart')) return {};
  const db = request.get('db');
  const mechanism = request.get('mechanism');
  if (typeof db !== 'string' || typeof mechanism !== 'string') return {};
  try {
    const options = request.get('options');
    const payload = readPayload(request.get('payload'), 'saslStart');
    const reply = startSasl(
      ctx.sandbox,
      ctx.connection,
      db,
      mechanism,
      payload,
      options instanceof Map ? options : undefined,
    );
    return { speculativeAuthenticate: reply };
  } catch {
    return {};
  }
}

extendHello((ctx) => ({ ...supportedMechanisms(ctx), ...speculativeAuthentication(ctx) }));

export const authCommands: CommandSpec[] = [
  saslStart,
  saslContinue,
  authenticate,
  logout,
  connectionStatus,
  ...userManagementCommands,
];
