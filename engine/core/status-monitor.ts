// What the status snapshot is made of beyond the run's own facts, gathered as time passes: the rates
// of events applied and bytes copied over a sliding window, and the source's cluster time (read at
// most once a second while a run is active: the lag is measured against it). Each status tick the
// engine samples, builds the facts and publishes the snapshot, with the gauges derived from it.
import type { EngineState, StatusSnapshot } from '../protocol.js';
import { clusterTime } from './connections.js';
import type { FerryError } from './errors.js';
import type { EngineMetrics } from './metrics.js';
import type { Run } from './run.js';
import { initialSyncLagSeconds, RateWindow, statusSnapshot, type StatusFacts } from './status.js';

const SOURCE_TIME_PROBE_MS = 1000;

export class StatusMonitor {
  private readonly eventsRate = new RateWindow();
  private readonly copyRate = new RateWindow();
  private sourceTime: StatusFacts['sourceClusterTime'];
  private lastSourceProbe = 0;

  constructor(private readonly metrics: EngineMetrics) {}

  /** Samples the rates; for an active run, reads the source's cluster time if a second has passed. */
  sample(activeRun: Run | undefined): void {
    const now = Date.now();
    const totals = this.metrics.totals();
    this.eventsRate.sample(totals.eventsApplied, now);
    this.copyRate.sample(totals.clonedBytes, now);
    if (!activeRun || now - this.lastSourceProbe < SOURCE_TIME_PROBE_MS) return;
    this.lastSourceProbe = now;
    void clusterTime(activeRun.ctx.source).then(
      (time) => (this.sourceTime = { t: time.t, i: time.i }),
      () => undefined,
    );
  }

  /** Everything the snapshot is derived from, as of now. */
  facts(state: EngineState, run: Run | undefined, blocked: FerryError | undefined): StatusFacts {
    const facts: StatusFacts = {
      state,
      cloneCompleted: run?.cloneCompleted ?? false,
      replicationStarted: run?.replicationStarted ?? false,
      totals: this.metrics.totals(),
      collections: run?.collections() ?? [],
      eventsPerSecond: this.eventsRate.perSecond(),
      copyBytesPerSecond: this.copyRate.perSecond(),
      now: new Date(),
    };
    if (this.sourceTime) facts.sourceClusterTime = this.sourceTime;
    if (blocked) facts.error = blocked.toInfo();
    if (run) Object.assign(facts, run.statusFacts());
    return facts;
  }

  /** The snapshot of `facts`, with the lag and clone-size gauges set from it. */
  publish(facts: StatusFacts): StatusSnapshot {
    const status = statusSnapshot(facts);
    this.metrics.setLag(status.lagSeconds, initialSyncLagSeconds(facts));
    this.metrics.setEstimatedCloneBytes(status.initialSync.estimatedCloneSizeBytes);
    return status;
  }

  /** Back to zero for another run: the metrics, the rates and the source's time. */
  reset(): void {
    this.metrics.reset();
    this.eventsRate.reset();
    this.copyRate.reset();
    this.sourceTime = undefined;
  }
}
