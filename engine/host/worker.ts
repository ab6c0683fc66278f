// The worker thread's entry: one Engine, driven by the host's requests over the parent port, its
// events posted back. Nothing here decides anything; a request names a command and the engine
// answers it (every command validates its own input with the protocol's schemas).
import { parentPort, workerData } from 'node:worker_threads';
import type { ConnectionSettings, FinalizeOptions, ResumeOptions, Side, StartOptionsInput } from '../protocol.js';
import { Engine } from '../core/engine.js';
import type { EngineLogOptions } from '../core/log.js';
import type { HostRequest, WorkerData, WorkerMessage } from './messages.js';

const port = parentPort;
if (!port) throw new Error('engine/host/worker.ts runs only as a worker thread (see engine-host.ts)');

const { settings } = workerData as WorkerData;
const log: EngineLogOptions = {};
if (settings.logLevel !== undefined) log.level = settings.logLevel;
if (settings.logOutput !== undefined) log.output = settings.logOutput;
const engine = new Engine({
  instanceId: settings.instanceId,
  log,
  ...(settings.metadataDb !== undefined ? { metadataDb: settings.metadataDb } : {}),
  ...(settings.checkpointIntervalMs !== undefined ? { checkpointIntervalMs: settings.checkpointIntervalMs } : {}),
  ...(settings.statusIntervalMs !== undefined ? { statusIntervalMs: settings.statusIntervalMs } : {}),
  ...(settings.heartbeat !== undefined ? { heartbeat: settings.heartbeat } : {}),
});

const post = (message: WorkerMessage): void => port.postMessage(message);
engine.subscribe((event) => post({ kind: 'event', event }));

port.on('message', (request: HostRequest) => {
  void answer(request).then(
    (value) => post({ kind: 'response', id: request.id, value }),
    (error: unknown) =>
      post({
        kind: 'response',
        id: request.id,
        value: {
          ok: false,
          error: { code: 'UNEXPECTED', message: error instanceof Error ? error.message : String(error) },
        },
      }),
  );
});

async function answer({ command, args }: HostRequest): Promise<unknown> {
  switch (command) {
    case 'setConnection':
      return engine.setConnection(args[0] as Side, args[1] as ConnectionSettings);
    case 'testConnection':
      return engine.testConnection(args[0] as Side);
    case 'listNamespaces':
      return engine.listNamespaces();
    case 'preflight':
      return engine.preflight((args[0] ?? {}) as StartOptionsInput);
    case 'start':
      return engine.start((args[0] ?? {}) as StartOptionsInput);
    case 'pause':
      return engine.pause();
    case 'resume':
      return engine.resume((args[0] ?? {}) as Partial<ResumeOptions>);
    case 'finalize':
      return engine.finalize((args[0] ?? {}) as Partial<FinalizeOptions>);
    case 'reset':
      return engine.reset();
    case 'status':
      return engine.status();
    case 'metrics':
      return engine.metricsText();
    case 'close':
      await engine.close();
      return { ok: true, value: undefined };
    default:
      return { ok: false, error: { code: 'UNKNOWN_COMMAND', message: `unknown command: ${String(command)}` } };
  }
}

post({ kind: 'ready' });
