import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { withPcsmNames } from '../../engine/server/pcsm-metrics.js';

async function engineLikeExposition(): Promise<string> {
  const registry = new Registry();
  new Counter({ name: 'ferry_events_read_total', help: 'Change events read', registers: [registry] }).inc(12);
  new Gauge({ name: 'ferry_lag_seconds', help: 'Lag', registers: [registry] }).set(3);
  const depth = new Gauge({
    name: 'ferry_repl_queue_depth',
    help: 'Queue depth',
    labelNames: ['queue'],
    registers: [registry],
  });
  depth.set({ queue: 'events' }, 7);
  depth.set({ queue: 'worker-2' }, 4);
  const flush = new Histogram({
    name: 'ferry_repl_flush_ops',
    help: 'Ops per flush',
    labelNames: ['worker'],
    buckets: [10, 100],
    registers: [registry],
  });
  flush.observe({ worker: '0' }, 42);
  new Gauge({ name: 'ferry_process_resident_memory_bytes', help: 'RSS', registers: [registry] }).set(1000);
  new Gauge({ name: 'ferry_something_ferry_only', help: 'Not in PCSM', registers: [registry] }).set(1);
  return registry.metrics();
}

describe("PCSM's metric names", () => {
  it("keeps Ferry's exposition and adds PCSM-named copies of what PCSM has", async () => {
    const source = await engineLikeExposition();
    const text = withPcsmNames(source);
    expect(text.startsWith(source)).toBe(true);
    const lines = text.split('\n');
    expect(lines).toContain('# TYPE percona_clustersync_mongodb_events_read_total counter');
    expect(lines).toContain('percona_clustersync_mongodb_events_read_total 12');
    expect(lines).toContain('percona_clustersync_mongodb_lag_time_seconds 3');
    expect(lines).toContain('percona_clustersync_mongodb_repl_event_queue_size 7');
    expect(lines).toContain('percona_clustersync_mongodb_repl_worker_event_queue_size{worker="2"} 4');
    expect(lines).toContain('# TYPE percona_clustersync_mongodb_repl_worker_flush_batch_size histogram');
    expect(lines).toContain('percona_clustersync_mongodb_repl_worker_flush_batch_size_bucket{le="100",worker="0"} 1');
    expect(lines).toContain('percona_clustersync_mongodb_repl_worker_flush_batch_size_sum{worker="0"} 42');
    expect(lines).toContain('percona_clustersync_mongodb_process_resident_memory_bytes 1000');
    expect(text).not.toContain('percona_clustersync_mongodb_something');
  });

  it("copies the clone's batch durations and each applier's events applied under PCSM's names", async () => {
    const registry = new Registry();
    new Gauge({ name: 'ferry_clone_read_batch_duration_seconds', help: 'Read', registers: [registry] }).set(0.25);
    new Gauge({ name: 'ferry_clone_insert_batch_duration_seconds', help: 'Insert', registers: [registry] }).set(0.5);
    const applied = new Counter({
      name: 'ferry_repl_worker_events_applied_total',
      help: 'Per applier',
      labelNames: ['worker'],
      registers: [registry],
    });
    applied.inc({ worker: '0' }, 3);
    applied.inc({ worker: '1' }, 5);
    const lines = withPcsmNames(await registry.metrics()).split('\n');
    expect(lines).toContain('# TYPE percona_clustersync_mongodb_copy_read_batch_duration_seconds gauge');
    expect(lines).toContain('percona_clustersync_mongodb_copy_read_batch_duration_seconds 0.25');
    expect(lines).toContain('percona_clustersync_mongodb_copy_insert_batch_duration_seconds 0.5');
    expect(lines).toContain('# TYPE percona_clustersync_mongodb_repl_worker_events_applied_total counter');
    expect(lines).toContain('percona_clustersync_mongodb_repl_worker_events_applied_total{worker="0"} 3');
    expect(lines).toContain('percona_clustersync_mongodb_repl_worker_events_applied_total{worker="1"} 5');
  });

  it('leaves an exposition without engine metrics as it is', () => {
    expect(withPcsmNames('')).toBe('');
    expect(withPcsmNames('# HELP x y\n# TYPE x gauge\nx 1\n')).toBe('# HELP x y\n# TYPE x gauge\nx 1\n');
  });
});
