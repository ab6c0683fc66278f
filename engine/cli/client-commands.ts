// The CLI client of a running `ferry serve`, shaped like PCSM's: `status`, `start`, `pause`, `resume
// [--from-failure]`, `finalize` use the PCSM-compatible routes (the same flags and bodies as PCSM's
// client), `reset` uses Ferry's /api/v1/reset (PCSM has no HTTP reset). The answer is printed as
// indented JSON, or as a short table with --pretty; the exit code is 1 when the answer is not ok.
// The token comes from FERRY_TOKEN, else from the token file `ferry serve` keeps.
import { Command } from 'commander';
import { DEFAULT_PORT } from '../server/config.js';
import { formatIecBytes } from '../server/sizes.js';
import { ferryConfigDir, readStoredToken, tokenPath } from '../server/token-store.js';
import { UsageError } from './usage-error.js';

interface ClientOptions {
  port?: string;
  host?: string;
  pretty?: boolean;
}

const REQUEST_TIMEOUT_MS = 120_000;

export function clientCommands(): Command[] {
  return [
    client('status', 'Show the migration status (PCSM /status).', (options) => call(options, 'GET', '/status')),
    startCommand(),
    client('pause', 'Pause change replication.', (options) => call(options, 'POST', '/pause')),
    client('resume', 'Resume a paused migration, or a failed one with --from-failure.', (options) =>
      call(options, 'POST', '/resume', { fromFailure: options.fromFailure === true }),
    ).option('--from-failure', 'resume from the failed state once its cause is fixed'),
    client('finalize', 'Finalize: catch up, stop replication, restore indexes, verify.', (options) =>
      call(options, 'POST', '/finalize'),
    ),
    client(
      'reset',
      "Forget the migration: remove Ferry's checkpoint and heartbeat from the target (its data stays).",
      (options) => call(options, 'POST', '/api/v1/reset'),
    ),
  ];
}

function client(
  name: string,
  description: string,
  run: (options: ClientOptions & Record<string, unknown>) => Promise<void>,
): Command {
  return new Command(name)
    .description(description)
    .option('--port <port>', `port of the Ferry server (default FERRY_PORT or ${DEFAULT_PORT})`)
    .option('--host <address>', 'address of the Ferry server (default FERRY_HOST or 127.0.0.1)')
    .option('--pretty', 'print a short table instead of JSON')
    .action(run);
}

/** PCSM's start flags, sent as PCSM's /start body. */
const countFlags = {
  cloneNumParallelCollections: ['--clone-num-parallel-collections <n>', 'collections copied at once'],
  cloneNumReadWorkers: ['--clone-num-read-workers <n>', 'parallel readers per collection'],
  cloneNumInsertWorkers: ['--clone-num-insert-workers <n>', 'parallel inserters per collection'],
  replNumWorkers: ['--repl-num-workers <n>', 'appliers that write change events'],
  replChangeStreamBatchSize: ['--repl-change-stream-batch-size <n>', 'change stream batch size'],
  replEventQueueSize: ['--repl-event-queue-size <n>', 'events queued between reader and appliers'],
  replWorkerQueueSize: ['--repl-worker-queue-size <n>', "accepted for PCSM's sake; Ferry has no equivalent"],
  replBulkOpsSize: ['--repl-bulk-ops-size <n>', 'writes per bulk'],
  replWorkerBulkQueueSize: ['--repl-worker-bulk-queue-size <n>', "accepted for PCSM's sake; Ferry has no equivalent"],
} as const;

function startCommand(): Command {
  const command = client('start', 'Start a migration (PCSM /start).', async (options) => {
    const body: Record<string, unknown> = {};
    const list = (value: unknown): string[] =>
      String(value)
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
    if (options.includeNamespaces !== undefined) body.includeNamespaces = list(options.includeNamespaces);
    if (options.excludeNamespaces !== undefined) body.excludeNamespaces = list(options.excludeNamespaces);
    if (options.pauseOnInitialSync === true) body.pauseOnInitialSync = true;
    if (options.allowExistingTargetNamespaces === true) body.allowExistingTargetNamespaces = true;
    if (options.useCollectionBulkWrite === true) body.useCollectionBulkWrite = true;
    for (const [field, [flag]] of Object.entries(countFlags)) {
      const value = options[field];
      if (value === undefined) continue;
      if (!/^\d+$/.test(String(value)))
        throw new UsageError(`${flag.split(' ')[0]} ${String(value)} is not a whole number`);
      body[field] = Number(value);
    }
    for (const field of ['cloneSegmentSize', 'cloneReadBatchSize', 'replWorkerFlushInterval']) {
      if (options[field] !== undefined) body[field] = String(options[field]);
    }
    await call(options, 'POST', '/start', body);
  })
    .option('--include-namespaces <list>', 'only these namespaces, comma-separated: db.collection or db.*')
    .option('--exclude-namespaces <list>', 'not these namespaces, comma-separated (exclude wins)')
    .option('--pause-on-initial-sync', 'pause once the target has caught up with the changes made during the clone')
    .option(
      '--allow-existing-target-namespaces',
      'drop and recreate selected namespaces that already exist on the target',
    )
    .option('--clone-segment-size <size>', 'size of one _id-range segment, e.g. 500MB or 1GiB (0 = automatic)')
    .option('--clone-read-batch-size <size>', 'bytes per read batch, e.g. 16MiB')
    .option('--repl-worker-flush-interval <duration>', 'longest wait before an applier writes, e.g. 500ms')
    .option('--use-collection-bulk-write', "accepted for PCSM's sake; Ferry always writes collection-level bulks");
  for (const [flag, description] of Object.values(countFlags)) command.option(flag, description);
  return command;
}

async function call(options: ClientOptions, method: 'GET' | 'POST', path: string, body?: unknown): Promise<void> {
  const base = serverUrl(options);
  const headers: Record<string, string> = {};
  const token = process.env.FERRY_TOKEN || (await readStoredToken(tokenPath(ferryConfigDir())));
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(new URL(path, base), {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    // fetch reports "fetch failed"; what happened (ECONNREFUSED, a bad port, ...) is in its cause.
    const { cause } = error as { cause?: { code?: string; message?: string } };
    const reason = cause?.code ?? cause?.message ?? (error as Error).message;
    throw new Error(`cannot reach Ferry at ${base} (${reason}): is \`ferry serve\` running there? (--host, --port)`, {
      cause: error,
    });
  }
  const text = await response.text();
  if (response.status === 401) {
    throw new Error(
      `the server at ${base} refused the token: set FERRY_TOKEN, or run the client as the user whose ${tokenPath(ferryConfigDir())} holds it`,
    );
  }
  let answer: { ok?: unknown } & Record<string, unknown>;
  try {
    answer = JSON.parse(text) as typeof answer;
  } catch {
    throw new Error(`unexpected answer from ${base} (HTTP ${response.status}): ${text.trim().slice(0, 200)}`);
  }
  process.stdout.write(options.pretty ? pretty(answer) : `${JSON.stringify(answer, null, 2)}\n`);
  if (answer.ok !== true) process.exitCode = 1;
}

function serverUrl(options: ClientOptions): string {
  const port = options.port ?? process.env.FERRY_PORT ?? String(DEFAULT_PORT);
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535)
    throw new UsageError(`--port ${port} is not a port (1 to 65535)`);
  const host = options.host ?? process.env.FERRY_HOST ?? '127.0.0.1';
  const hostInUrl = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `http://${hostInUrl}:${port}/`;
}

/** A short human reading of a PCSM status or a command's answer. */
function pretty(answer: Record<string, unknown>): string {
  const rows: [string, string][] = [];
  const error = answer.error;
  if (typeof answer.state === 'string') rows.push(...statusRows(answer));
  else rows.push(['result', answer.ok === true ? 'ok' : 'refused']);
  if (typeof error === 'string') rows.push(['error', error]);
  if (typeof error === 'object' && error !== null) {
    const info = error as { message?: unknown; remedy?: unknown };
    rows.push(['error', String(info.message)]);
    if (typeof info.remedy === 'string') rows.push(['remedy', info.remedy]);
  }
  return rows.map(([key, value]) => `${key.padEnd(14)}${value}\n`).join('');
}

function statusRows(status: Record<string, unknown>): [string, string][] {
  const rows: [string, string][] = [
    ['state', `${String(status.state)}${status.info ? ` (${String(status.info)})` : ''}`],
  ];
  rows.push(['lag', `${String(status.lagTimeSeconds)} s`]);
  rows.push(['events', `${String(status.eventsRead)} read, ${String(status.eventsApplied)} applied`]);
  const last = status.lastReplicatedOpTime as { ts: string; isoDate: string } | undefined;
  if (last) rows.push(['replicated to', `${last.isoDate} (${last.ts})`]);
  const sync = status.initialSync as
    | { completed: boolean; cloneCompleted: boolean; clonedSizeBytes: number; estimatedCloneSizeBytes?: number }
    | undefined;
  if (sync) {
    const copied = `${formatIecBytes(sync.clonedSizeBytes)} of ${formatIecBytes(sync.estimatedCloneSizeBytes ?? 0)} copied`;
    rows.push(['clone', `${sync.cloneCompleted ? 'completed' : 'copying'}, ${copied}`]);
    rows.push(['initial sync', sync.completed ? 'completed' : 'not completed']);
  }
  const finalization = status.finalization as
    | {
        completed: boolean;
        completedAt?: string;
        unsuccessfulIndexes?: { namespace: string; indexName: string; reason: string }[];
      }
    | undefined;
  if (finalization) {
    rows.push([
      'finalization',
      finalization.completed ? `completed ${finalization.completedAt ?? ''}`.trim() : 'in progress',
    ]);
    for (const index of finalization.unsuccessfulIndexes ?? []) {
      rows.push(['index failed', `${index.namespace} ${index.indexName}: ${index.reason}`]);
    }
  }
  return rows;
}
