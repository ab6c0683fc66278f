// PCSM's metric names (pcsm.md §9) next to Ferry's own, so PCSM's Grafana dashboard and alert rules
// work against Ferry unchanged. The engine's registry stays the single source: this only copies its
// samples under the `percona_clustersync_mongodb_` names, in the Prometheus text format.

const PCSM_PREFIX = 'percona_clustersync_mongodb_';

/** Ferry family → PCSM family (without the prefix). */
const renamed: Record<string, string> = {
  ferry_events_read_total: 'events_read_total',
  ferry_events_applied_total: 'events_applied_total',
  ferry_lag_seconds: 'lag_time_seconds',
  ferry_initial_sync_lag_seconds: 'initial_sync_lag_time_seconds',
  ferry_clone_estimated_bytes: 'estimated_total_size_bytes',
  ferry_clone_read_bytes_total: 'copy_read_size_bytes_total',
  ferry_clone_insert_bytes_total: 'copy_insert_size_bytes_total',
  ferry_clone_read_documents_total: 'copy_read_document_total',
  ferry_clone_insert_documents_total: 'copy_insert_document_total',
  ferry_clone_read_batch_duration_seconds: 'copy_read_batch_duration_seconds',
  ferry_clone_insert_batch_duration_seconds: 'copy_insert_batch_duration_seconds',
  ferry_repl_worker_events_applied_total: 'repl_worker_events_applied_total',
  ferry_repl_flush_ops: 'repl_worker_flush_batch_size',
  ferry_repl_flush_duration_seconds: 'repl_worker_flush_duration_seconds',
};

interface Family {
  help: string;
  type: string;
  samples: string[];
}

/** The exposition with PCSM-named copies of the metrics PCSM has, appended. */
export function withPcsmNames(exposition: string): string {
  const meta = new Map<string, { help: string; type: string }>();
  const copies = new Map<string, Family>();
  for (const line of exposition.split('\n')) {
    const comment = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (comment) {
      const entry = meta.get(comment[2]) ?? { help: '', type: 'untyped' };
      if (comment[1] === 'HELP') entry.help = comment[3];
      else entry.type = comment[3];
      meta.set(comment[2], entry);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s(.*)$/.exec(line);
    if (!sample) continue;
    const [, name, labels = '', value] = sample;
    const family = familyOf(name, meta);
    const copy = pcsmSample(family, labels);
    if (!copy) continue;
    const info = meta.get(family) ?? { help: '', type: 'untyped' };
    const target = copies.get(copy.family) ?? { help: info.help, type: info.type, samples: [] };
    target.samples.push(`${copy.family}${name.slice(family.length)}${copy.labels} ${value}`);
    copies.set(copy.family, target);
  }
  const blocks = [...copies].map(
    ([name, family]) => `# HELP ${name} ${family.help}\n# TYPE ${name} ${family.type}\n${family.samples.join('\n')}\n`,
  );
  const base = exposition.endsWith('\n') || exposition === '' ? exposition : `${exposition}\n`;
  return blocks.length === 0 ? base : `${base}\n${blocks.join('\n')}`;
}

/** The family a sample belongs to: histograms and summaries add _bucket, _sum and _count. */
function familyOf(name: string, meta: Map<string, { type: string }>): string {
  const base = /^(.*)_(bucket|sum|count)$/.exec(name)?.[1];
  const type = base === undefined ? undefined : meta.get(base)?.type;
  return base !== undefined && (type === 'histogram' || type === 'summary') ? base : name;
}

function pcsmSample(family: string, labels: string): { family: string; labels: string } | undefined {
  const direct = renamed[family];
  if (direct) return { family: PCSM_PREFIX + direct, labels };
  if (family.startsWith('ferry_process_')) return { family: PCSM_PREFIX + family.slice('ferry_'.length), labels };
  if (family === 'ferry_repl_queue_depth') {
    // Ferry keeps one gauge labelled by queue; PCSM has one for the reader queue and one per worker.
    if (/queue="events"/.test(labels)) return { family: `${PCSM_PREFIX}repl_event_queue_size`, labels: '' };
    const worker = /queue="worker-(\d+)"/.exec(labels)?.[1];
    if (worker !== undefined)
      return { family: `${PCSM_PREFIX}repl_worker_event_queue_size`, labels: `{worker="${worker}"}` };
  }
  return undefined;
}
