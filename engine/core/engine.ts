// The engine: the FerryApi commands (engine/protocol.ts) on top of the state machine (state.ts).
// Every command asks decide() first; the work itself is done elsewhere: run-start.ts (options,
// preflight, the first checkpoint), a Run (run.ts: clone, replication), the Finalizer (finalizer.ts),
// the checkpoint and heartbeat on the target, and the StatusMonitor (status-monitor.ts) for what the
// status ticks show.
//
// Lifetime of a migration, as the engine sees it:
// - setConnection for both sides: the engine looks for a checkpoint on the target and, if there is
//   one for these clusters, takes the run back in the state it was saved in (running carries on,
//   finalizing completes, paused and failed wait for the operator).
// - start: preflight must pass; T0 is read from the source before anything is listed; the run
//   clones, then replicates from T0. Initial sync is complete once replication passes the clone's
//   finish time (pauseOnInitialSync pauses there, once).
// - pause / resume, finalize, reset; any fatal error moves to failed with what to do.
// Commands that change the state run one at a time; status() and subscribe() never wait for them.
import { randomUUID } from 'node:crypto';
import type { MongoClient } from 'mongodb';
import {
  connectionSettingsSchema,
  finalizeOptionsSchema,
  resumeOptionsSchema,
  type ConnectionReport,
  type ConnectionSettings,
  type DatabaseInfo,
  type EngineEvent,
  type EngineState,
  type FerryApi,
  type FinalizeOptions,
  type PreflightReport,
  type Result,
  type Side,
  type StartOptions,
  type StartOptionsInput,
  type StatusSnapshot,
} from '../protocol.js';
import { createCatalog } from './catalog.js';
import { Clients } from './clients.js';
import { CheckpointStore, continuableCheckpoint, identityMismatch, type RunCheckpoint } from './checkpoint.js';
import { CheckpointWriter } from './checkpoint-writer.js';
import { createCloner } from './clone/cloner.js';
import { clusterIdentity, connectionReport } from './connections.js';
import { classify, FerryError } from './errors.js';
import type { FinalizeOutcome } from './finalize.js';
import { Finalizer } from './finalizer.js';
import { defaultHeartbeatTiming, Heartbeat, type HeartbeatTiming } from './heartbeat.js';
import { createEngineLog, type EngineLogger, type EngineLogOptions } from './log.js';
import { EngineMetrics } from './metrics.js';
import { listNamespaces } from './namespaces-listing.js';
import type { EngineContext } from './parts.js';
import { createReplicator } from './repl/replicator.js';
import { Run, type RunParts } from './run.js';
import { firstCheckpoint, invalidOptions, parseStartOptions, preflightStart, requirePassed } from './run-start.js';
import { decide, type EngineCommand } from './state.js';
import { initialSyncCompleted, statusSnapshot, type StatusFacts } from './status.js';
import { StatusMonitor } from './status-monitor.js';

export interface EngineOptions {
  /**
   * Who holds the heartbeat. An EngineHost passes the same id to every worker it starts, so a worker
   * restarted after a crash takes over its predecessor's heartbeat; a second engine gets another.
   */
  instanceId?: string;
  /** Where to look for a checkpoint before any start (later: the metadataDb of the last start). */
  metadataDb?: string;
  log?: EngineLogOptions;
  checkpointIntervalMs?: number;
  statusIntervalMs?: number;
  heartbeat?: Partial<HeartbeatTiming>;
  /** The clone, replication and catalog implementations; the real ones unless set (tests). */
  parts?: Partial<RunParts>;
}

const defaultParts: RunParts = { createCatalog, createCloner, createReplicator };

export class Engine implements FerryApi {
  readonly log: EngineLogger;
  readonly metrics = new EngineMetrics();
  readonly instanceId: string;
  private metadataDb: string;
  private readonly parts: RunParts;
  private readonly checkpointIntervalMs: number;
  private readonly statusIntervalMs: number;
  private readonly heartbeatTiming: HeartbeatTiming;

  private state: EngineState = 'idle';
  private readonly clients = new Clients();
  private run: Run | undefined;
  private heartbeat: Heartbeat | undefined;
  /** Why start must refuse (a checkpoint of other clusters, another engine's heartbeat). */
  private blocked: FerryError | undefined;
  private initialSyncNoticed = false;
  private closed = false;

  private readonly listeners = new Set<(event: EngineEvent) => void>();
  private commands: Promise<unknown> = Promise.resolve();
  private readonly checkpoints: CheckpointWriter;
  private readonly finalizer: Finalizer;
  private readonly monitor = new StatusMonitor(this.metrics);
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(options: EngineOptions = {}) {
    this.instanceId = options.instanceId ?? randomUUID();
    this.metadataDb = options.metadataDb ?? 'ferry_internal';
    this.parts = { ...defaultParts, ...options.parts };
    this.checkpointIntervalMs = options.checkpointIntervalMs ?? 5000;
    this.statusIntervalMs = options.statusIntervalMs ?? 500;
    this.heartbeatTiming = { ...defaultHeartbeatTiming, ...options.heartbeat };
    this.log = createEngineLog(options.log);
    this.log.onRecord((record) => this.emit({ type: 'log', record }));
    this.checkpoints = new CheckpointWriter(this.log);
    this.finalizer = new Finalizer(this.log, {
      finished: (run, outcome) => this.finalized(run, outcome),
      failed: (run, error) => this.fail(run, error),
    });
    const tick = setInterval(() => this.tick(), this.statusIntervalMs);
    tick.unref();
    this.timers.push(tick);
  }

  // -------------------------------------------------------------------------------------------------
  // Connections and read-only commands

  /**
   * Stores the connection (connecting on first use). Once both sides are set in idle, looks for a
   * checkpoint to recover; a refusal then (a checkpoint of other clusters, another engine's
   * heartbeat) is this command's answer, and start() keeps refusing until it is resolved or reset.
   */
  setConnection(side: Side, settings: ConnectionSettings): Promise<Result<void>> {
    return this.exclusive(async () => {
      this.check({ type: 'setConnection' });
      const parsed = connectionSettingsSchema.safeParse(settings);
      if (!parsed.success) throw invalidOptions(parsed.error.issues.map((issue) => issue.message).join('; '));
      await this.clients.set(side, parsed.data);
      if (this.state === 'idle' && this.clients.has('source') && this.clients.has('target')) await this.recover();
    });
  }

  testConnection(side: Side): Promise<Result<ConnectionReport>> {
    return this.attempt(async () => {
      return connectionReport(side, await this.clients.get(side), this.clients.settings(side).uri);
    });
  }

  listNamespaces(): Promise<Result<DatabaseInfo[]>> {
    return this.attempt(async () => listNamespaces(await this.clients.get('source'), this.metadataDb));
  }

  preflight(input: StartOptionsInput): Promise<Result<PreflightReport>> {
    return this.attempt(async () => this.runPreflight(parseStartOptions(input)));
  }

  async status(): Promise<StatusSnapshot> {
    return statusSnapshot(this.facts());
  }

  subscribe(listener: (event: EngineEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The Prometheus exposition of the engine's metrics. */
  metricsText(): Promise<string> {
    return this.metrics.registry.metrics();
  }

  // -------------------------------------------------------------------------------------------------
  // Commands that change the state

  start(input: StartOptionsInput): Promise<Result<void>> {
    return this.exclusive(async () => {
      this.check({ type: 'start' });
      if (this.blocked) throw this.blocked;
      const options = parseStartOptions(input);
      requirePassed(await this.runPreflight(options));
      const [source, target] = await this.clients.both();
      this.metadataDb = options.metadataDb;
      await this.acquireHeartbeat(target, options.metadataDb);
      const checkpoint = await firstCheckpoint(source, target, options);
      this.monitor.reset();
      this.run = this.buildRun(checkpoint, source, target, true);
      this.initialSyncNoticed = false;
      this.log.info('migration started', {
        runId: checkpoint.runId,
        t0: checkpoint.startTime,
        include: options.includeNamespaces,
        exclude: options.excludeNamespaces,
      });
      await this.transition({ type: 'start' });
      this.execute(this.run);
    });
  }

  pause(): Promise<Result<void>> {
    return this.exclusive(() => this.pauseRun());
  }

  resume(input: Partial<{ fromFailure: boolean }> = {}): Promise<Result<void>> {
    return this.exclusive(async () => {
      const { fromFailure } = resumeOptionsSchema.parse(input);
      this.check({ type: 'resume', fromFailure });
      const run = this.requireRun();
      const [source, target] = await this.clients.both();
      const mismatch = identityMismatch(
        { runId: run.runId, source: run.sourceIdentity, target: run.targetIdentity },
        await clusterIdentity(source),
        await clusterIdentity(target),
      );
      if (mismatch) throw mismatch;
      await this.acquireHeartbeat(target, run.options.metadataDb);
      // A fresh Run from the saved progress: new clients if the connections changed, and the same
      // path a restarted process takes.
      const snapshot = run.checkpoint('running', this.metrics.totals());
      delete snapshot.error;
      this.run = this.buildRun(snapshot, source, target);
      await this.transition({ type: 'resume', fromFailure });
      this.log.info(fromFailure ? 'migration resumed after a failure' : 'migration resumed');
      this.execute(this.run);
    });
  }

  finalize(input: Partial<FinalizeOptions> = {}): Promise<Result<void>> {
    return this.exclusive(async () => {
      const options = finalizeOptionsSchema.parse(input);
      this.check({ type: 'finalize' });
      if (this.finalizer.passRunning) return; // sent again while its pass runs
      const run = this.requireRun();
      await this.finalizer.begin(run, options);
      await this.transition({ type: 'finalize' });
      this.finalizer.startPass(run);
    });
  }

  reset(): Promise<Result<void>> {
    return this.exclusive(async () => {
      this.check({ type: 'reset' });
      const target = await this.clients.get('target');
      const store = new CheckpointStore(target, this.metadataDb);
      const saved = this.run ? undefined : await store.read().catch(() => undefined);
      await this.finalizer.releaseInterrupted(this.run?.finalization ?? saved?.finalization, () =>
        this.clients.get('source'),
      );
      const heartbeat =
        this.heartbeat ?? new Heartbeat(target, this.metadataDb, this.instanceId, this.log, this.heartbeatTiming);
      await heartbeat.acquire(); // refuses while another engine is alive
      await heartbeat.release();
      this.heartbeat = undefined;
      await store.remove();
      this.run = undefined;
      this.blocked = undefined;
      this.monitor.reset();
      await this.setState('idle');
      this.log.info('migration reset: checkpoint and heartbeat removed; the target data is unchanged');
    });
  }

  /**
   * Graceful shutdown: stops the work at a safe point, saves the checkpoint (a running run stays
   * `running`, so the next engine carries it on), releases the heartbeat and closes the clients.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    await this.commands.catch(() => undefined);
    const run = this.run;
    if (run && (this.state === 'running' || this.state === 'finalizing')) {
      run.detach();
      await run.stop();
    }
    await this.finalizer.settled();
    if (run) await this.saveCheckpoint();
    await this.checkpoints.flushed();
    await this.heartbeat?.release();
    await this.clients.close();
  }

  // -------------------------------------------------------------------------------------------------
  // Running

  private execute(run: Run): void {
    void run.execute().then(
      () => this.afterRun(run),
      (error: unknown) => this.fail(run, error),
    );
  }

  private afterRun(run: Run): void {
    // Pause, finalize and close stop a run on purpose. A run that ends by itself while running would
    // leave the target silently behind the source: say so instead.
    if (run !== this.run || this.state !== 'running' || this.closed || run.stopRequested) return;
    void this.fail(
      run,
      new FerryError({
        code: 'REPLICATION_STOPPED',
        message: 'change replication stopped unexpectedly',
        remedy: 'Resume with fromFailure; replication continues from its resume point.',
      }),
    );
  }

  private async pauseRun(): Promise<void> {
    this.check({ type: 'pause' });
    const run = this.requireRun();
    await run.stop();
    if (this.state !== 'running') throw invalidState(`cannot pause: ${this.state}`);
    await this.transition({ type: 'pause' });
    this.log.info('migration paused', { resumePoint: run.resumePoint });
  }

  private async fail(run: Run, error: unknown): Promise<void> {
    // After close() the interrupted work is the next process's to carry on, not a failure.
    if (run !== this.run || this.state === 'failed' || this.closed) return;
    const info = classify(error);
    run.error = info;
    run.detach();
    this.log.error(info.message, { code: info.code, remedy: info.remedy });
    await run.stop().catch(() => undefined);
    await this.transition({ type: 'fail', error: info });
  }

  /** The finalize pass is done (the Finalizer has recorded its outcome on the run). */
  private async finalized(run: Run, outcome: FinalizeOutcome): Promise<void> {
    await this.transition({ type: 'finalizeDone' });
    await this.heartbeat?.release();
    this.heartbeat = undefined;
    this.log.info('migration finalized', {
      unsuccessfulIndexes: outcome.unsuccessfulIndexes.length,
      countMismatches: outcome.countMismatches.length,
    });
  }

  /** A checkpoint on the target for these clusters: take its run back as it was saved. */
  private async recover(): Promise<void> {
    this.blocked = undefined;
    const [source, target] = await this.clients.both();
    let checkpoint: RunCheckpoint | undefined;
    try {
      checkpoint = await continuableCheckpoint(source, target, this.metadataDb);
      if (!checkpoint) return;
      if (checkpoint.state !== 'finalized') await this.acquireHeartbeat(target, checkpoint.options.metadataDb);
    } catch (error) {
      // Starting anew would overwrite another run's checkpoint or write beside another engine.
      this.blocked = FerryError.from(error);
      throw error;
    }
    this.monitor.reset();
    this.metrics.restore(checkpoint.totals);
    const run = this.buildRun(checkpoint, source, target);
    this.run = run;
    this.initialSyncNoticed = initialSyncCompleted({
      replicationStarted: checkpoint.replicationStarted,
      lastReplicated: checkpoint.lastReplicated,
      cloneFinishTime: checkpoint.cloneFinishTime,
    });
    const decision = decide({ type: 'recover' }, { ...this.stateContext(), state: checkpoint.state });
    if (!decision.ok) throw new FerryError(decision.error);
    await this.setState(decision.next);
    this.log.info('migration recovered from its checkpoint', {
      runId: checkpoint.runId,
      state: checkpoint.state,
      resumePoint: checkpoint.resumePoint,
      cloneCompleted: checkpoint.cloneCompleted,
    });
    if (this.state === 'running') this.execute(run);
    if (this.state === 'finalizing') await this.finalizer.resume(run);
  }

  private buildRun(checkpoint: RunCheckpoint, source: MongoClient, target: MongoClient, fresh = false): Run {
    const deps: Omit<EngineContext, 'filter' | 'metadataDb' | 'clone' | 'repl'> = {
      source,
      target,
      log: this.log,
      counters: this.metrics,
    };
    return new Run(checkpoint, deps, this.parts, fresh);
  }

  private async acquireHeartbeat(target: MongoClient, metadataDb: string): Promise<void> {
    if (this.heartbeat?.held) return;
    const heartbeat = new Heartbeat(target, metadataDb, this.instanceId, this.log, this.heartbeatTiming, (error) => {
      // Another engine took over (this one was frozen past the stale time): stop writing at once.
      const run = this.run;
      if (run) void this.fail(run, error);
    });
    await heartbeat.acquire();
    this.heartbeat = heartbeat;
  }

  private async runPreflight(options: StartOptions): Promise<PreflightReport> {
    const [source, target] = await this.clients.both();
    return preflightStart(options, {
      source,
      target,
      sourceUri: this.clients.settings('source').uri,
      targetUri: this.clients.settings('target').uri,
      log: this.log,
      counters: this.metrics,
      createCatalog: this.parts.createCatalog,
    });
  }

  // -------------------------------------------------------------------------------------------------
  // State, checkpoint, status

  /** Moves to the state decide() names for an internal event or a command already checked. */
  private async transition(command: EngineCommand): Promise<void> {
    const decision = decide(command, this.stateContext());
    if (!decision.ok) throw new FerryError(decision.error);
    await this.setState(decision.next);
  }

  private async setState(next: EngineState): Promise<void> {
    const from = this.state;
    this.state = next;
    if (from !== next) this.emit({ type: 'state', from, to: next, at: new Date().toISOString() });
    if (this.run) await this.saveCheckpoint();
  }

  private check(command: EngineCommand): void {
    const decision = decide(command, this.stateContext());
    if (!decision.ok) throw new FerryError(decision.error);
  }

  private stateContext() {
    const run = this.run;
    return {
      state: this.state,
      cloneCompleted: run?.cloneCompleted ?? false,
      replicationStarted: run?.replicationStarted ?? false,
      initialSyncCompleted: run ? initialSyncCompleted(this.facts()) : false,
      ...(run?.error ? { error: run.error } : {}),
    };
  }

  /** Writes the checkpoint now (queued behind a write in progress); failures are logged, not thrown. */
  private saveCheckpoint(): Promise<void> {
    const run = this.run;
    if (!run) return this.checkpoints.flushed();
    const snapshot = run.checkpoint(this.state, this.metrics.totals());
    return this.checkpoints.save(run.ctx.target, run.options.metadataDb, snapshot);
  }

  private tick(): void {
    const active = this.state === 'running' || this.state === 'finalizing';
    this.monitor.sample(active ? this.run : undefined);
    if (active && Date.now() - this.checkpoints.lastQueuedAt >= this.checkpointIntervalMs) void this.saveCheckpoint();
    const facts = this.facts();
    const status = this.monitor.publish(facts);
    this.noticeInitialSync(facts);
    this.emit({ type: 'status', status });
  }

  private noticeInitialSync(facts: StatusFacts): void {
    const run = this.run;
    if (!run || this.initialSyncNoticed || this.state !== 'running' || !initialSyncCompleted(facts)) return;
    this.initialSyncNoticed = true;
    this.log.info('initial sync completed: the target has caught up with the changes made during the clone');
    void this.saveCheckpoint();
    if (run.options.pauseOnInitialSync) {
      void this.exclusive(() =>
        this.state === 'running' && this.run === run ? this.pauseRun() : Promise.resolve(),
      ).then((result) => {
        if (!result.ok) this.log.warn('could not pause at initial sync', { error: result.error.message });
      });
    }
  }

  private facts(): StatusFacts {
    return this.monitor.facts(this.state, this.run, this.blocked);
  }

  private emit(event: EngineEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A failing listener must not stop the engine or the other listeners.
      }
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Plumbing

  /** Runs a state-changing command after the previous one finished; errors become refusals. */
  private exclusive(fn: () => Promise<void>): Promise<Result<void>> {
    const next = this.commands.then(() => this.attempt(fn));
    this.commands = next;
    return next;
  }

  private async attempt<T>(fn: () => Promise<T>): Promise<Result<T>> {
    if (this.closed) return { ok: false, error: { code: 'ENGINE_CLOSED', message: 'the engine is shutting down' } };
    try {
      return { ok: true, value: await fn() };
    } catch (error) {
      return { ok: false, error: classify(error) };
    }
  }

  private requireRun(): Run {
    if (!this.run) throw invalidState('no migration has been started');
    return this.run;
  }
}

function invalidState(message: string): FerryError {
  return new FerryError({ code: 'INVALID_STATE', message });
}
