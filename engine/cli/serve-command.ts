// `ferry serve`: the engine (in a worker thread, engine/host) behind the headless HTTP server
// (engine/server): PCSM-compatible endpoints, Ferry's API with server-sent events, the web UI and
// /metrics. Settings come from flags > FERRY_* environment > a YAML file > defaults (server/config.ts).
//
// Start-up: connections from --source/--target (or the --demo sandboxes) are handed to the engine,
// which picks up a run from its checkpoint on the target by itself; --reset-state first removes that
// checkpoint and the heartbeat. SIGINT/SIGTERM: the server stops, the engine stops its work at a safe
// point and saves its checkpoint with the run still marked running, so the next `ferry serve` on the
// same target carries on where this one stopped. (Pausing instead would save "paused", and the next
// start would wait for an operator.) A second signal exits at once.
import { Command } from 'commander';
import { EngineHost } from '../host/engine-host.js';
import type { FerryApi, Side } from '../protocol.js';
import {
  ConfigError,
  DEFAULT_PORT,
  loadConfigFile,
  resolveServeConfig,
  type ConfigSources,
  type SettingKey,
  type ServeConfig,
} from '../server/config.js';
import { startFerryServer, type FerryServer } from '../server/http-server.js';
import { createServerLog, type ServerLog } from '../server/server-log.js';
import { ferryConfigDir, loadOrCreateToken } from '../server/token-store.js';
import type { DemoClusters } from './serve-demo.js';
import { UsageError } from './usage-error.js';
import { listenUsageError } from './listen-error.js';

const EXAMPLES = `
Settings: flags beat FERRY_* environment variables, which beat the --config YAML file (keys are the
flag names: "port: 2242", "no-auth: true"). Environment: FERRY_SOURCE_URI, FERRY_TARGET_URI, FERRY_PORT,
FERRY_HOST, FERRY_NO_AUTH, FERRY_METADATA_DB, FERRY_LOG_LEVEL, FERRY_LOG_JSON, FERRY_RESET_STATE,
FERRY_DEMO, FERRY_CONFIG. The token is kept in $FERRY_CONFIG_DIR (default ~/.config/ferry)/server-token.

Examples:
  $ ferry serve --source mongodb://src:27017/?replicaSet=rs0 --target mongodb://dst:27017/?replicaSet=rs1
  $ ferry serve --demo --no-auth                 two demo clusters in process; no token on 127.0.0.1
  $ ferry serve --config ferry.yaml --log-json`;

/** Commander's attribute for each setting (--no-auth is `auth`, negated). */
const attributes: Record<SettingKey, string> = {
  source: 'source',
  target: 'target',
  port: 'port',
  host: 'host',
  noAuth: 'auth',
  metadataDb: 'metadataDb',
  logLevel: 'logLevel',
  logJson: 'logJson',
  resetState: 'resetState',
  demo: 'demo',
};

export function serveCommand(): Command {
  return new Command('serve')
    .description('Run Ferry headless: the migration engine behind an HTTP API, the web UI and /metrics.')
    .option('--source <uri>', 'source cluster connection string (else set it through the UI or API)')
    .option('--target <uri>', 'target cluster connection string (else set it through the UI or API)')
    .option('--port <port>', `port to listen on (default ${DEFAULT_PORT}; 0 picks a free one)`)
    .option('--host <address>', 'address to listen on (default 127.0.0.1)')
    .option('--no-auth', 'accept requests without the token (only on a loopback address)')
    .option('--metadata-db <name>', "target database for Ferry's checkpoint and heartbeat (default ferry_internal)")
    .option('--config <file>', 'YAML file with these settings')
    .option('--log-level <level>', 'debug, info, warn, error or silent (default info)')
    .option('--log-json', 'log JSON lines instead of readable text')
    .option('--reset-state', 'remove the checkpoint and heartbeat from the target before starting (its data stays)')
    .option('--demo', 'start two sandbox clusters in process, the source with demo data and a light write load')
    .addHelpText('after', EXAMPLES)
    .action(async (_options: unknown, command: Command) => {
      const config = await loadConfig(command);
      await serve(config);
    });
}

async function loadConfig(command: Command): Promise<ServeConfig> {
  const options = command.opts<Record<string, unknown>>();
  const given = (attribute: string): boolean => command.getOptionValueSource(attribute) === 'cli';
  const flags: ConfigSources['flags'] = {};
  for (const [key, attribute] of Object.entries(attributes) as [SettingKey, string][]) {
    if (!given(attribute)) continue;
    flags[key] = key === 'noAuth' ? options.auth === false : options[attribute];
  }
  const configPath = given('config') ? String(options.config) : process.env.FERRY_CONFIG;
  try {
    const file = configPath ? await loadConfigFile(configPath) : undefined;
    return resolveServeConfig({ flags, env: process.env, ...(file ? { file } : {}) });
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

async function serve(config: ServeConfig): Promise<void> {
  const log = createServerLog({ level: config.logLevel, json: config.logJson });
  const stack: (() => Promise<void>)[] = [];
  const unwind = async (): Promise<void> => {
    for (const step of [...stack].reverse()) await step().catch(() => undefined);
  };
  // Installed before anything starts, so a signal during start-up (or right after the announcement)
  // stops what has been started instead of killing the process mid-way.
  const stopped = stopOnSignal(log, unwind);
  try {
    let { source, target } = config;
    if (config.demo) {
      const { startDemoClusters } = await import('./serve-demo.js');
      const demo: DemoClusters = await startDemoClusters(log);
      stack.push(() => demo.stop());
      ({ sourceUri: source, targetUri: target } = demo);
    }
    // The engine's lines are printed by the server log, in its format (readable or JSON), not by the worker.
    const host = await EngineHost.start({
      metadataDb: config.metadataDb,
      logLevel: config.logLevel,
      logOutput: 'none',
    });
    host.subscribe((event) => {
      if (event.type === 'log') log.printEngineRecord(event.record);
    });
    stack.push(() => host.close());
    await connect(host, log, source, target, config.resetState);
    const token = config.auth ? await loadOrCreateToken(ferryConfigDir()) : undefined;
    if (token?.permissionsFixed)
      log.warn('the token file was readable by others; its permissions are now 0600', { file: token.file });
    const server = await startFerryServer({
      api: host,
      metrics: () => host.metrics(),
      host: config.host,
      port: config.port,
      token: token?.token,
      metadataDb: config.metadataDb,
      log,
    }).catch((error: unknown) => {
      throw listenFailure(error, config);
    });
    stack.push(() => server.close());
    announce(server, config, token);
    log.info('listening', { url: server.url, auth: config.auth, metadataDb: config.metadataDb });
  } catch (error) {
    await unwind();
    throw error;
  }
  await stopped;
}

/** Hands the connections to the engine; --reset-state clears the target's checkpoint before the source is set. */
async function connect(
  api: FerryApi,
  log: ServerLog,
  source: string | undefined,
  target: string | undefined,
  resetState: boolean,
): Promise<void> {
  const set = async (side: Side, uri: string | undefined): Promise<void> => {
    if (uri === undefined) return;
    const result = await api.setConnection(side, { uri });
    // Not fatal: the operator can fix the connection from the UI or the API.
    if (!result.ok)
      log.error(`${side} connection refused: ${result.error.message}`, {
        code: result.error.code,
        remedy: result.error.remedy,
      });
  };
  // The target first and alone: once both sides are set the engine takes a saved run back, and
  // --reset-state must remove that run's checkpoint before it does.
  await set('target', target);
  if (resetState) {
    const reset = await api.reset();
    if (!reset.ok)
      throw new Error(
        `--reset-state failed: ${reset.error.message}${reset.error.remedy ? ` (${reset.error.remedy})` : ''}`,
      );
    log.info('state reset: the checkpoint and heartbeat are removed from the target; its data is unchanged');
  }
  await set('source', source);
}

/** The address and the token go to the terminal, never to the log (logs get shipped and kept). */
function announce(
  server: FerryServer,
  config: ServeConfig,
  token: Awaited<ReturnType<typeof loadOrCreateToken>> | undefined,
): void {
  const lines = [`Ferry is listening on ${server.url}`];
  if (!token) lines.push('Authentication is off (--no-auth): anyone on this machine can drive the migration.');
  else if (token.created) lines.push(`Token (shown once; stored in ${token.file}): ${token.token}`);
  else lines.push(`Token: stored in ${token.file} (send it as "Authorization: Bearer <token>")`);
  // With --log-json standard output carries only JSON lines; the announcement goes to standard error.
  (config.logJson ? process.stderr : process.stdout).write(`${lines.join('\n')}\n`);
}

function listenFailure(error: unknown, config: ServeConfig): Error {
  return (
    listenUsageError(error, config.host, config.port) ?? (error instanceof Error ? error : new Error(String(error)))
  );
}

/**
 * Resolves never: the process exits 0 once everything has stopped after SIGINT or SIGTERM. A signal
 * sent again a second or more later means "now" (exit 1); one arriving sooner is the same request
 * delivered twice, as happens when Ctrl-C reaches both `npm run` and this process.
 */
function stopOnSignal(log: ServerLog, unwind: () => Promise<void>): Promise<never> {
  return new Promise(() => {
    let stoppingSince: number | undefined;
    const stop = (signal: NodeJS.Signals): void => {
      if (stoppingSince !== undefined) {
        if (Date.now() - stoppingSince >= 1000) process.exit(1);
        return;
      }
      stoppingSince = Date.now();
      log.info(`${signal}: stopping; the migration stops at a safe point and saves its checkpoint`);
      unwind().then(
        () => {
          log.info('stopped');
          process.exit(0);
        },
        (error: unknown) => {
          log.error('stopping failed', { error: error instanceof Error ? error.message : String(error) });
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
