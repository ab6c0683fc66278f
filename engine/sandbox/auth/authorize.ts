// The dispatcher middleware that enforces privileges when auth is on: the logged-in user's roles must
// allow what the command does, or it fails with Unauthorized as mongod words it (the command shown
// with its password fields redacted).
import { formatValue } from '../bson/format.js';
import type { BsonDoc, BsonValue } from '../bson/values.js';
import type { CommandContext } from '../commands/types.js';
import type { Middleware } from '../dispatch.js';
import { CommandError } from '../errors.js';
import { mayRun } from './command-access.js';
import { privilegesOf } from './privileges.js';
import { currentUser } from './session.js';

const SENSITIVE_FIELDS = new Set(['pwd']);

function redacted(body: BsonDoc): BsonDoc {
  return new Map<string, BsonValue>(
    [...body].map(([name, value]) => [name, SENSITIVE_FIELDS.has(name) ? 'xxx' : value]),
  );
}

function unauthorized(ctx: CommandContext): CommandError {
  return new CommandError(
    'Unauthorized',
    `not authorized on ${ctx.db} to execute command ${formatValue(redacted(ctx.body))}`,
  );
}

export const authorizeCommand: Middleware = async (ctx, spec, next) => {
  if (!ctx.sandbox.options.auth || spec.noAuth) return next();
  const user = currentUser(ctx.sandbox, ctx.connection);
  if (!user) throw new CommandError('Unauthorized', `Command ${ctx.name} requires authentication`);
  const privileges = privilegesOf(user.roles);
  const allowed = mayRun({ ctx, user, can: (resource, ...actions) => privileges.allows(resource, actions) }, spec);
  if (!allowed) throw unauthorized(ctx);
  return next();
};
