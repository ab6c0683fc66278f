// Turns a request body into a reply: finds the command, checks authentication and the member's
// state, runs the middlewares (fail points, sessions and transactions) and the handler, and stamps
// the reply with $clusterTime and operationTime as every replica-set member does.
import { decodeDocument } from './bson/decode.js';
import { encodeDocument } from './bson/encode.js';
import { Binary, Long, type EncodableValue } from './bson/values.js';
import { CommandError } from './errors.js';
import type { CommandContext, CommandReply, CommandSpec } from './commands/types.js';
import type { ConnectionState } from './connection-state.js';
import type { Sandbox } from './sandbox.js';

export type Middleware = (
  ctx: CommandContext,
  spec: CommandSpec,
  next: () => Promise<CommandReply>,
) => Promise<CommandReply>;

const ZERO_SIGNATURE = { hash: new Binary(Buffer.alloc(20), 0), keyId: Long.fromNumber(0) };

export class Dispatcher {
  private readonly commands = new Map<string, CommandSpec>();
  private readonly middlewares: Middleware[] = [];

  constructor(private readonly sandbox: Sandbox) {}

  register(specs: Iterable<CommandSpec>): void {
    for (const spec of specs) {
      for (const name of [spec.name, ...(spec.aliases ?? [])]) {
        if (this.commands.has(name)) throw new Error(`command ${name} registered twice`);
        this.commands.set(name, spec);
      }
    }
  }

  use(middleware: Middleware): void {
    this.middlewares.push(middleware);
  }

  names(): string[] {
    return [...this.commands.keys()];
  }

  /** Runs one command and returns the encoded reply document. */
  async run(
    connection: ConnectionState,
    bodyBytes: Buffer,
    sequences: Map<string, Buffer[]>,
    defaultDb?: string,
  ): Promise<Buffer> {
    let reply: CommandReply;
    try {
      reply = await this.execute(connection, bodyBytes, sequences, defaultDb);
    } catch (error) {
      reply = errorReply(error);
    }
    return encodeDocument(this.stamp(reply));
  }

  private async execute(
    connection: ConnectionState,
    bodyBytes: Buffer,
    sequences: Map<string, Buffer[]>,
    defaultDb?: string,
  ): Promise<CommandReply> {
    const body = decodeDocument(bodyBytes);
    const name = body.keys().next().value;
    if (name === undefined) throw new CommandError('FailedToParse', 'Command body is empty');
    const dbValue = body.get('$db') ?? defaultDb;
    if (typeof dbValue !== 'string') throw new CommandError('FailedToParse', `Command ${name} has no $db`);
    const spec = this.commands.get(name);
    if (!spec) throw new CommandError('CommandNotFound', `no such command: '${name}'`);
    const ctx: CommandContext = { sandbox: this.sandbox, connection, name, db: dbValue, body, sequences };
    if (this.sandbox.options.auth && !spec.noAuth && !connection.user)
      throw new CommandError('Unauthorized', `Command ${name} requires authentication`);
    if (spec.adminOnly && dbValue !== 'admin')
      throw new CommandError('Unauthorized', `${name} may only be run against the admin database.`);

    const chain = this.middlewares.reduceRight<() => Promise<CommandReply>>(
      (next, middleware) => () => middleware(ctx, spec, next),
      async () => {
        if (spec.write && !this.sandbox.isWritablePrimary) throw new CommandError('NotWritablePrimary', 'not primary');
        return spec.run(ctx);
      },
    );
    return chain();
  }

  private stamp(reply: CommandReply): Record<string, EncodableValue> {
    const clusterTime = this.sandbox.clock.current();
    const ok = reply.ok ?? 1;
    return {
      ...reply,
      ok,
      $clusterTime: { clusterTime, signature: ZERO_SIGNATURE },
      operationTime: clusterTime,
    };
  }
}

export function errorReply(error: unknown): CommandReply {
  if (error instanceof CommandError) return error.toReply();
  const message = error instanceof Error ? error.message : String(error);
  return new CommandError('InternalError', message).toReply();
}
