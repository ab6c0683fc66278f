// The handshake: hello (and its legacy spellings). What the driver reads here makes it treat the
// sandbox as the primary of a one-member replica set.
import { Long } from '../bson/values.js';
import { supportedCompressors } from '../wire/messages.js';
import { MAX_BSON_SIZE, MAX_MESSAGE_SIZE, MAX_WIRE_VERSION, MAX_WRITE_BATCH_SIZE } from '../limits.js';
import { optionalArray } from './args.js';
import type { CommandReply, CommandSpec } from './types.js';
import type { EncodableValue } from '../bson/values.js';

/** Extra hello fields contributed by other parts (auth adds saslSupportedMechs and speculativeAuthenticate). */
export type HelloExtension = (
  ctx: Parameters<CommandSpec['run']>[0],
) => Promise<Record<string, EncodableValue>> | Record<string, EncodableValue>;
const extensions: HelloExtension[] = [];
export function extendHello(extension: HelloExtension): void {
  extensions.push(extension);
}

const hello: CommandSpec = {
  name: 'hello',
  aliases: ['isMaster', 'ismaster'],
  noAuth: true,
  async run(ctx): Promise<CommandReply> {
    const { sandbox } = ctx;
    const requested = (optionalArray(ctx.body, 'compression') ?? []).filter(
      (name): name is string => typeof name === 'string',
    );
    const compression = requested.filter((name) => (supportedCompressors as readonly string[]).includes(name));
    if (requested.length) ctx.connection.compressors = compression;
    const client = ctx.body.get('client');
    if (client instanceof Map) {
      const application = client.get('application');
      if (application instanceof Map && typeof application.get('name') === 'string')
        ctx.connection.appName = String(application.get('name'));
    }
    const primary = sandbox.isWritablePrimary;
    const lastOp = sandbox.clock.current();
    const lastWriteDate = new Date(lastOp.t * 1000);
    const legacy = ctx.name !== 'hello';
    const reply: Record<string, EncodableValue> = {
      ...(legacy ? { ismaster: primary } : { isWritablePrimary: primary }),
      secondary: !primary,
      setName: sandbox.options.replSet,
      setVersion: 1,
      hosts: [sandbox.me],
      ...(primary ? { primary: sandbox.me } : {}),
      me: sandbox.me,
      electionId: sandbox.electionId,
      lastWrite: {
        opTime: { ts: lastOp, t: Long.fromNumber(1) },
        lastWriteDate,
        majorityOpTime: { ts: lastOp, t: Long.fromNumber(1) },
        majorityWriteDate: lastWriteDate,
      },
      maxBsonObjectSize: MAX_BSON_SIZE,
      maxMessageSizeBytes: MAX_MESSAGE_SIZE,
      maxWriteBatchSize: MAX_WRITE_BATCH_SIZE,
      localTime: new Date(),
      logicalSessionTimeoutMinutes: 30,
      connectionId: ctx.connection.id,
      minWireVersion: 0,
      maxWireVersion: MAX_WIRE_VERSION,
      readOnly: false,
      ...(requested.length ? { compression } : {}),
    };
    for (const extension of extensions) Object.assign(reply, await extension(ctx));
    return reply;
  },
};

export const helloCommands: CommandSpec[] = [hello];
