// The messages between an EngineHost and its worker thread: requests carry a FerryApi command (or
// one of the host's own: metrics, close) with its arguments, responses carry the command's answer,
// and events are the engine's EngineEvents. All of it is plain data, as structured clone requires.
import type { EngineEvent, FerryCommand } from '../protocol.js';
import type { LogLevel, LogOutput } from '../core/log.js';
import type { HeartbeatTiming } from '../core/heartbeat.js';

export const hostCommands = ['metrics', 'close'] as const;
export type HostCommand = FerryCommand | (typeof hostCommands)[number];

export interface HostRequest {
  kind: 'request';
  id: number;
  command: HostCommand;
  args: unknown[];
}

export type WorkerMessage =
  { kind: 'ready' } | { kind: 'response'; id: number; value: unknown } | { kind: 'event'; event: EngineEvent };

/** What a worker is started with (workerData): the serializable part of EngineOptions. */
export interface WorkerSettings {
  /** The same for every worker a host starts: a restarted worker takes over its heartbeat. */
  instanceId: string;
  metadataDb?: string;
  logLevel?: LogLevel | 'silent';
  /**
   * `stdout` (the default): the worker writes its own pino JSON lines. `none`: it writes nothing and
   * its records reach the host's listeners only (EngineEvent `log`), for a host that prints them in
   * its own format.
   */
  logOutput?: LogOutput;
  checkpointIntervalMs?: number;
  statusIntervalMs?: number;
  heartbeat?: Partial<HeartbeatTiming>;
}

export interface WorkerData {
  settings: WorkerSettings;
  /** For the bootstrap: the module to load once the TypeScript loader is registered. */
  entry?: string;
}
