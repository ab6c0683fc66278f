// EngineHost: the engine in a worker thread, behind the same FerryApi. Electron's main process and
// `ferry serve` use this, never engine/core directly, so a crash in the engine (or a blocked event
// loop during a heavy clone) cannot take the UI or the HTTP server down with it.
//
// Crash recovery: when the worker exits without being asked to, the host starts a new one with the
// same instance id (so it may take over the heartbeat its predecessor left fresh), replays the last
// connection settings of each side, and the new engine recovers the run from its checkpoint on the
// target. Commands in flight when the worker died are answered with ENGINE_RESTARTED rather than
// sent again: a start or finalize must not run twice behind the operator's back.
//
// TypeScript workers: the engine runs as TypeScript through tsx (docs/architecture.md). A Worker
// does not get tsx's loader from `execArgv: ['--import', 'tsx']` on Node 20, so a .ts worker is
// started through worker-bootstrap.mjs, which registers the loader (tsx/esm/api) and then imports
// worker.ts. A compiled build (host as .js) starts worker.js directly.
import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type {
  ConnectionReport,
  ConnectionSettings,
  DatabaseInfo,
  EngineEvent,
  FerryApi,
  FerryErrorInfo,
  FinalizeOptions,
  PreflightReport,
  ResumeOptions,
  Result,
  Side,
  StartOptionsInput,
  StatusSnapshot,
} from '../protocol.js';
import type { HostCommand, HostRequest, WorkerData, WorkerMessage, WorkerSettings } from './messages.js';

export interface EngineHostOptions extends Partial<Omit<WorkerSettings, 'instanceId'>> {
  /** Identifies this host's engine for the heartbeat; random unless set. */
  instanceId?: string;
  /** Wait before starting a new worker after a crash (doubling while crashes repeat). */
  restartDelayMs?: number;
  /** Crashes within a minute after which the host stops restarting the worker. */
  maxRestartsPerMinute?: number;
}

interface Pending {
  command: HostCommand;
  resolve(value: unknown): void;
}

const workerUrl = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);
const bootstrapUrl = new URL('./worker-bootstrap.mjs', import.meta.url);

export class EngineHost implements FerryApi {
  private readonly settings: WorkerSettings;
  private readonly restartDelayMs: number;
  private readonly maxRestartsPerMinute: number;
  private worker: Worker | undefined;
  private ready: Promise<void> = Promise.resolve();
  /** Resolves the current worker's start promise, so waiters wake if it dies before it is ready. */
  private wake: () => void = () => undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private readonly listeners = new Set<(event: EngineEvent) => void>();
  private readonly connections: Partial<Record<Side, ConnectionSettings>> = {};
  private readonly crashes: number[] = [];
  private closing = false;
  private gaveUp: FerryErrorInfo | undefined;
  /** How many workers have been started (1 + restarts); for diagnostics and tests. */
  generation = 0;

  private constructor(options: EngineHostOptions) {
    const { restartDelayMs, maxRestartsPerMinute, instanceId, ...settings } = options;
    this.settings = { ...settings, instanceId: instanceId ?? randomUUID() };
    this.restartDelayMs = restartDelayMs ?? 1000;
    this.maxRestartsPerMinute = maxRestartsPerMinute ?? 5;
  }

  /** Starts the worker and resolves once its engine is ready for commands. */
  static async start(options: EngineHostOptions = {}): Promise<EngineHost> {
    const host = new EngineHost(options);
    host.spawn();
    await host.ready;
    return host;
  }

  // FerryApi -------------------------------------------------------------------------------------

  async setConnection(side: Side, settings: ConnectionSettings): Promise<Result<void>> {
    const result = (await this.request('setConnection', [side, settings])) as Result<void>;
    // Kept even when refused: the engine stores the settings before it looks for a checkpoint.
    if (result.ok || result.error.code !== 'INVALID_OPTIONS') this.connections[side] = settings;
    return result;
  }

  testConnection(side: Side): Promise<Result<ConnectionReport>> {
    return this.request('testConnection', [side]) as Promise<Result<ConnectionReport>>;
  }

  listNamespaces(): Promise<Result<DatabaseInfo[]>> {
    return this.request('listNamespaces', []) as Promise<Result<DatabaseInfo[]>>;
  }

  preflight(options: StartOptionsInput): Promise<Result<PreflightReport>> {
    return this.request('preflight', [options]) as Promise<Result<PreflightReport>>;
  }

  async start(options: StartOptionsInput): Promise<Result<void>> {
    const result = (await this.request('start', [options])) as Result<void>;
    // A restarted worker must look for this run's checkpoint where the run keeps it.
    if (result.ok && options.metadataDb !== undefined) this.settings.metadataDb = options.metadataDb;
    return result;
  }

  pause(): Promise<Result<void>> {
    return this.request('pause', []) as Promise<Result<void>>;
  }

  resume(options?: Partial<ResumeOptions>): Promise<Result<void>> {
    return this.request('resume', [options ?? {}]) as Promise<Result<void>>;
  }

  finalize(options?: Partial<FinalizeOptions>): Promise<Result<void>> {
    return this.request('finalize', [options ?? {}]) as Promise<Result<void>>;
  }

  reset(): Promise<Result<void>> {
    return this.request('reset', []) as Promise<Result<void>>;
  }

  status(): Promise<StatusSnapshot> {
    return this.request('status', []) as Promise<StatusSnapshot>;
  }

  subscribe(listener: (event: EngineEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // The host's own --------------------------------------------------------------------------------

  /** The engine's Prometheus metrics (text exposition format), for /metrics. */
  metrics(): Promise<string> {
    return this.request('metrics', []) as Promise<string>;
  }

  /** Terminates the worker abruptly, as a crash would; the host then restarts it. For tests and drills. */
  async killWorker(): Promise<void> {
    await this.worker?.terminate();
  }

  /** Resolves once a worker is up and its connections are replayed (after a restart, too). */
  whenReady(): Promise<void> {
    return this.ready;
  }

  /** Graceful shutdown: the engine saves its checkpoint and releases its heartbeat, then the worker ends. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await this.ready.catch(() => undefined);
    const worker = this.worker;
    if (worker && !this.gaveUp) await this.send('close', []);
    await worker?.terminate();
  }

  // Worker lifecycle -------------------------------------------------------------------------------

  private spawn(): void {
    this.generation++;
    const typescript = workerUrl.pathname.endsWith('.ts');
    const data: WorkerData = { settings: { ...this.settings } };
    if (typescript) data.entry = workerUrl.href;
    const worker = new Worker(typescript ? bootstrapUrl : workerUrl, { workerData: data });
    this.worker = worker;
    const started = new Promise<void>((resolve) => (this.wake = resolve));
    worker.on('message', (message: WorkerMessage) => {
      switch (message.kind) {
        case 'ready':
          this.wake();
          break;
        case 'response':
          this.settle(message.id, message.value);
          break;
        case 'event':
          this.emit(message.event);
          break;
      }
    });
    worker.on('error', (error) => this.logEvent('error', `engine worker crashed: ${error.message}`));
    worker.on('exit', (code) => this.exited(worker, code));
    this.ready = started.then(() => this.replayConnections(worker));
  }

  private async replayConnections(worker: Worker): Promise<void> {
    for (const side of ['source', 'target'] as const) {
      const settings = this.connections[side];
      if (!settings || worker !== this.worker) continue;
      const result = (await this.send('setConnection', [side, settings])) as Result<void>;
      if (!result.ok)
        this.logEvent('warn', `after the restart, the ${side} connection was refused: ${result.error.message}`);
    }
  }

  private exited(worker: Worker, code: number): void {
    if (worker !== this.worker) return;
    this.worker = undefined;
    for (const [id, pending] of this.pending) {
      this.pending.delete(id);
      pending.resolve(
        this.unavailable(
          pending.command,
          'ENGINE_RESTARTED',
          'the engine stopped while answering; it is being restarted',
        ),
      );
    }
    const wake = this.wake;
    if (this.closing) return wake();
    const now = Date.now();
    this.crashes.push(now);
    while (this.crashes.length > 0 && this.crashes[0] < now - 60_000) this.crashes.shift();
    if (this.crashes.length > this.maxRestartsPerMinute) {
      this.gaveUp = {
        code: 'ENGINE_CRASHED',
        message: `the engine crashed ${this.crashes.length} times within a minute (last exit code ${code}); it is not restarted again`,
        remedy: 'Look at the log for the cause, then restart Ferry: the migration carries on from its checkpoint.',
      };
      this.logEvent('error', this.gaveUp.message);
      return wake();
    }
    const delay = this.restartDelayMs * 2 ** (this.crashes.length - 1);
    this.logEvent('warn', `the engine stopped unexpectedly (exit code ${code}); restarting it in ${delay} ms`);
    let restarted: () => void = () => undefined;
    this.ready = new Promise<void>((resolve) => (restarted = resolve));
    // Whoever waited for the dead worker now waits for its successor (see request()).
    wake();
    setTimeout(() => {
      if (this.closing) return restarted();
      this.spawn();
      void this.ready.then(restarted, restarted);
    }, delay);
  }

  // Requests ---------------------------------------------------------------------------------------

  /** Sends once a worker is ready, waiting through restarts. */
  private async request(command: HostCommand, args: unknown[]): Promise<unknown> {
    for (let ready = this.ready; ; ready = this.ready) {
      await ready.catch(() => undefined);
      if (ready === this.ready) break;
    }
    return this.send(command, args);
  }

  private send(command: HostCommand, args: unknown[]): Promise<unknown> {
    const worker = this.worker;
    if (this.gaveUp) return Promise.resolve(this.unavailable(command, this.gaveUp.code, this.gaveUp.message));
    if (!worker || (this.closing && command !== 'close')) {
      return Promise.resolve(this.unavailable(command, 'ENGINE_CLOSED', 'the engine is not running'));
    }
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, { command, resolve });
      const request: HostRequest = { kind: 'request', id, command, args };
      worker.postMessage(request);
    });
  }

  private settle(id: number, value: unknown): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    pending.resolve(value);
  }

  /** The answer to a command the engine cannot take: a refusal, or for status() a snapshot that says so. */
  private unavailable(command: HostCommand, code: string, message: string): unknown {
    const error: FerryErrorInfo = { code, message, transient: code !== 'ENGINE_CRASHED' };
    if (command === 'status') {
      const snapshot: StatusSnapshot = {
        state: 'idle',
        phase: 'idle',
        error,
        lagSeconds: 0,
        eventsRead: 0,
        eventsApplied: 0,
        eventsPerSecond: 0,
        copyBytesPerSecond: 0,
        initialSync: {
          completed: false,
          cloneCompleted: false,
          estimatedCloneSizeBytes: 0,
          clonedSizeBytes: 0,
          clonedDocuments: 0,
        },
        collections: [],
        at: new Date().toISOString(),
      };
      return snapshot;
    }
    if (command === 'metrics') return '';
    return { ok: false, error };
  }

  private emit(event: EngineEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // One failing listener must not keep events from the others.
      }
    }
  }

  private logEvent(level: 'warn' | 'error', message: string): void {
    this.emit({ type: 'log', record: { level, message, at: new Date().toISOString() } });
  }
}
