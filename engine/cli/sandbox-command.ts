// `ferry sandbox`: runs one MongoDB-compatible sandbox server per --port in this process, prints one
// connection string per server on stdout, and stops them cleanly (saving --dbpath) on SIGINT/SIGTERM.
import { access, mkdir } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { z } from 'zod';
import type { RunningSandbox, SandboxOptions } from '../sandbox/index.js';
import { UsageError } from './usage-error.js';
import { errorCode, listenUsageError } from './listen-error.js';

const DEFAULT_PORT = '27017';

const EXAMPLES = `
Each server is a one-member replica set; its connection string is printed as one line on stdout once it
is ready. Ctrl-C (SIGINT) or SIGTERM stops every server, saving --dbpath first.

Examples:
  $ ferry sandbox --port 27017
  $ ferry sandbox --port 27017 --port 27018 --seed demo     two servers (rs0, rs1), demo data in the first
  $ ferry sandbox --port 0 --dbpath ./data                  a free port; data kept in ./data across restarts
  $ ferry sandbox --auth admin:secret --tls-cert server.pem --tls-key server.key`;

const portNumber = z
  .string()
  .refine((value) => /^\d{1,5}$/.test(value) && Number(value) <= 65535, {
    error: (issue) => `--port ${String(issue.input)} is not a port: use a number from 0 to 65535 (0 picks a free one)`,
  })
  .transform(Number);

const optionsSchema = z
  .object({
    port: z.array(portNumber),
    host: z.string().min(1, { error: '--host is empty: give an address to listen on, e.g. 127.0.0.1' }),
    replset: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, { error: '--replset may only contain letters, digits, "_" and "-"' })
      .optional(),
    auth: z
      .string()
      .regex(/^[^:]+:.+$/, { error: '--auth must be user:password (e.g. --auth admin:secret)' })
      .transform((value) => {
        const colon = value.indexOf(':');
        return { user: value.slice(0, colon), password: value.slice(colon + 1) };
      })
      .optional(),
    tlsCert: z.string().optional(),
    tlsKey: z.string().optional(),
    oplogSizeMb: z
      .string()
      .refine((value) => /^\d+$/.test(value) && Number(value) >= 1, {
        error: (issue) => `--oplog-size-mb ${String(issue.input)} is not a size: give a whole number of megabytes >= 1`,
      })
      .transform(Number),
    dbpath: z.string().min(1, { error: '--dbpath is empty: give a directory' }).optional(),
    seed: z
      .enum(['demo'], { error: (issue) => `--seed ${String(issue.input)} is unknown: the only data set is demo` })
      .optional(),
  })
  .check((ctx) => {
    const { tlsCert, tlsKey, port, dbpath } = ctx.value;
    if ((tlsCert === undefined) !== (tlsKey === undefined))
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        message: 'TLS needs both --tls-cert FILE and --tls-key FILE (PEM certificate and private key)',
      });
    const duplicate = port.find((value, index) => port.indexOf(value) !== index && (value !== 0 || dbpath));
    if (duplicate !== undefined)
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        message: `--port ${duplicate} is given twice: every server needs its own port${dbpath ? ' and --dbpath subdirectory' : ''}`,
      });
  });

type ParsedOptions = z.output<typeof optionsSchema>;

export function sandboxCommand(): Command {
  return new Command('sandbox')
    .description('Run MongoDB-compatible sandbox servers (in-memory one-member replica sets) until stopped.')
    .option(
      '--port <port>',
      'port to listen on (default 27017); repeat for several servers; 0 picks a free port',
      collect,
    )
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option(
      '--replset <name>',
      'replica set name (default rs0); with several ports, server i gets <name>i (default rs0, rs1, ...)',
    )
    .option('--auth <user:password>', 'require SCRAM authentication; creates this user with the root role')
    .option('--tls-cert <file>', 'serve TLS only, with this PEM certificate (needs --tls-key)')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option('--oplog-size-mb <mb>', 'oplog size cap; older changes fall out of change-stream history', '256')
    .option(
      '--dbpath <dir>',
      'keep data, oplog and cluster time in this directory across restarts (<dir>/<port> with several ports)',
    )
    .option('--seed <dataset>', 'load a sample data set into the first server when it is empty: demo')
    .addHelpText('after', EXAMPLES)
    .action(async (raw: Record<string, unknown>) => {
      const plan = await serverOptions(parseOptions(raw));
      const running = await startAll(plan);
      for (const server of running) process.stdout.write(`${server.uri}\n`);
      await stopOnSignal(running);
    });
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function parseOptions(raw: Record<string, unknown>): ParsedOptions {
  const withDefaultPort = { ...raw, port: Array.isArray(raw.port) && raw.port.length > 0 ? raw.port : [DEFAULT_PORT] };
  const result = optionsSchema.safeParse(withDefaultPort);
  if (!result.success) throw new UsageError(result.error.issues[0].message);
  return result.data;
}

/** One SandboxOptions per --port, after checking the files and directories they name. */
async function serverOptions(options: ParsedOptions): Promise<Partial<SandboxOptions>[]> {
  const several = options.port.length > 1;
  if (options.tlsCert) await mustRead(options.tlsCert, '--tls-cert');
  if (options.tlsKey) await mustRead(options.tlsKey, '--tls-key');
  const plan: Partial<SandboxOptions>[] = [];
  for (const [index, port] of options.port.entries()) {
    const dbPath = options.dbpath && several ? join(options.dbpath, String(port)) : options.dbpath;
    if (dbPath) await mustWriteDirectory(dbPath);
    plan.push({
      port,
      host: options.host,
      replSet: several ? `${options.replset ?? 'rs'}${index}` : (options.replset ?? 'rs0'),
      auth: options.auth,
      tls: options.tlsCert && options.tlsKey ? { certFile: options.tlsCert, keyFile: options.tlsKey } : undefined,
      oplogSizeMb: options.oplogSizeMb,
      dbPath,
      // The demo seeds the first server only: with several, the others are empty migration targets.
      seed: index === 0 ? options.seed : undefined,
    });
  }
  return plan;
}

async function mustRead(file: string, option: string): Promise<void> {
  try {
    await access(file, constants.R_OK);
  } catch (error) {
    throw new UsageError(`cannot read ${option} ${file} (${errorCode(error)}): check the path and its permissions`);
  }
}

async function mustWriteDirectory(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (error) {
    throw new UsageError(`cannot use --dbpath ${dir} (${errorCode(error)}): give a directory you can write to`);
  }
}

/** Starts the servers one after another; if one fails, stops those already started. */
async function startAll(plan: Partial<SandboxOptions>[]): Promise<RunningSandbox[]> {
  // Loaded only now, so --help and bad input answer at once.
  const { startSandbox } = await import('../sandbox/index.js');
  const { PersistenceError } = await import('../sandbox/persistence.js');
  const running: RunningSandbox[] = [];
  for (const options of plan) {
    try {
      running.push(await startSandbox(options));
    } catch (error) {
      await Promise.all(running.map((server) => server.stop()));
      if (error instanceof PersistenceError)
        throw new UsageError(`cannot load --dbpath ${options.dbPath}: ${error.message}`);
      throw startFailure(error, options);
    }
  }
  return running;
}

/** Turns what went wrong while starting a server into a message that says how to fix it. */
function startFailure(error: unknown, options: Partial<SandboxOptions>): Error {
  const listen = listenUsageError(error, options.host, options.port);
  if (listen) return listen;
  const message = error instanceof Error ? error.message : String(error);
  if (options.tls && /PEM|key|cert|ASN1/i.test(message))
    return new UsageError(`cannot use --tls-cert/--tls-key as a certificate and its key: ${message}`);
  return error instanceof Error ? error : new Error(message);
}

/** Resolves never: the process exits once every server has stopped after SIGINT or SIGTERM. */
function stopOnSignal(running: RunningSandbox[]): Promise<never> {
  return new Promise(() => {
    let stopping = false;
    const stop = (): void => {
      // A second signal while saving means "now": give up on a clean stop.
      if (stopping) process.exit(1);
      stopping = true;
      Promise.all(running.map((server) => server.stop())).then(
        () => process.exit(0),
        (error: unknown) => {
          process.stderr.write(
            `error: stopping the sandbox failed: ${error instanceof Error ? error.message : String(error)}\n`,
          );
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
