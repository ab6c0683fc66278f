// The sandbox's public entry point: start a MongoDB-wire-compatible one-member replica set.
import { defaultOptions, Sandbox, type SandboxOptions } from './sandbox.js';
import { Dispatcher } from './dispatch.js';
import { WireServer } from './server.js';
import { allCommands } from './commands/index.js';
import { authorizeCommand } from './auth/authorize.js';
import { applyFailPoints } from './fail-points.js';
import { trackOperations } from './operations.js';
import { labelErrors } from './sessions/error-labels.js';
import { runInSession } from './sessions/middleware.js';
import { Persistence } from './persistence.js';
import { seedDemo } from './seed/demo.js';

export type { SandboxOptions } from './sandbox.js';

export interface RunningSandbox {
  /** mongodb:// connection string for this member (with replicaSet, and credentials when auth is on). */
  readonly uri: string;
  readonly port: number;
  readonly sandbox: Sandbox;
  /** Closes every connection, as a stepdown does, and keeps serving. */
  dropConnections(): void;
  stop(): Promise<void>;
}

export async function startSandbox(options: Partial<SandboxOptions> = {}): Promise<RunningSandbox> {
  const resolved: SandboxOptions = { ...defaultOptions, port: 0, ...options };
  const sandbox = new Sandbox(resolved);
  const dispatcher = new Dispatcher(sandbox);
  dispatcher.register(allCommands);
  dispatcher.use(authorizeCommand);
  // Outermost first: operations are tracked and error labels computed around fail points and sessions.
  dispatcher.use(trackOperations);
  dispatcher.use(labelErrors);
  dispatcher.use(applyFailPoints);
  dispatcher.use(runInSession);
  const persistence = resolved.dbPath ? await Persistence.open(sandbox, resolved.dbPath) : undefined;
  const server = new WireServer(dispatcher, resolved.tls);
  const port = await server.listen(resolved.port, resolved.host).catch(async (error: unknown) => {
    await persistence?.close();
    throw error;
  });
  sandbox.me = `${resolved.host}:${port}`;
  sandbox.onDropConnections = () => server.dropConnections();
  sandbox.connectionCounts = () => server.connectionCounts();
  sandbox.commandNames = () => dispatcher.names();
  const params = new URLSearchParams({ replicaSet: resolved.replSet });
  if (resolved.tls) params.set('tls', 'true');
  const credentials = resolved.auth
    ? `${encodeURIComponent(resolved.auth.user)}:${encodeURIComponent(resolved.auth.password)}@`
    : '';
  const uri = `mongodb://${credentials}${sandbox.me}/?${params.toString()}`;
  const running: RunningSandbox = {
    uri,
    port,
    sandbox,
    dropConnections: () => server.dropConnections(),
    async stop() {
      sandbox.cursors.closeAll();
      await server.close();
      await persistence?.close();
    },
  };
  // The demo data goes only into an empty sandbox: a --dbpath that already holds data keeps it.
  if (resolved.seed === 'demo' && sandbox.catalog.databases.size === 0) {
    await seedDemo(uri, { tlsInsecure: resolved.tls !== undefined }).catch(async (error: unknown) => {
      await running.stop();
      throw error;
    });
  }
  return running;
}
