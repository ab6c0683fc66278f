// The sandbox's public entry point: start a MongoDB-wire-compatible one-member replica set.
import { defaultOptions, Sandbox, type SandboxOptions } from './sandbox.js';
import { Dispatcher } from './dispatch.js';
import { WireServer } from './server.js';
import { allCommands } from './commands/index.js';

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
  const server = new WireServer(dispatcher, resolved.tls);
  const port = await server.listen(resolved.port, resolved.host);
  sandbox.me = `${resolved.host}:${port}`;
  const params = new URLSearchParams({ replicaSet: resolved.replSet });
  if (resolved.tls) params.set('tls', 'true');
  const credentials = resolved.auth
    ? `${encodeURIComponent(resolved.auth.user)}:${encodeURIComponent(resolved.auth.password)}@`
    : '';
  const uri = `mongodb://${credentials}${sandbox.me}/?${params.toString()}`;
  return {
    uri,
    port,
    sandbox,
    dropConnections: () => server.dropConnections(),
    async stop() {
      sandbox.cursors.closeAll();
      await server.close();
    },
  };
}
