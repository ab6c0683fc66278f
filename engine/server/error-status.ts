// The HTTP status of a refusal on Ferry's own API, from its FerryErrorInfo code: the body always says
// what happened and what to do; the status lets scripts and the UI branch without reading it.
// - 400: the request itself is wrong (options, connection string, namespace pattern);
// - 409: the request is fine but the migration's state (or the clusters' state) refuses it now;
// - 503: the engine is restarting or shutting down; 500: a bug;
// - 502: anything else, i.e. a cluster refused or could not be reached.

const badRequest = new Set([
  'INVALID_OPTIONS',
  'INVALID_JSON',
  'INVALID_CONNECTION_STRING',
  'INVALID_NAMESPACE_PATTERN',
]);
const conflict = new Set([
  'INVALID_STATE',
  'NOT_CONNECTED',
  'PREFLIGHT_FAILED',
  'CLUSTERS_SWAPPED',
  'CHECKPOINT_OTHER_CLUSTER',
  'HEARTBEAT_HELD',
  'TARGET_NAMESPACE_EXISTS',
  'HISTORY_LOST',
  'CLONE_INCOMPLETE',
  'REPLICATION_NOT_STARTED',
  'REPLICATION_RUNNING',
]);
const unavailable = new Set(['ENGINE_CLOSED', 'ENGINE_RESTARTED', 'ENGINE_CRASHED']);
const bug = new Set(['UNEXPECTED', 'UNKNOWN_COMMAND']);

export function httpStatusOf(code: string): number {
  if (badRequest.has(code)) return 400;
  if (conflict.has(code)) return 409;
  if (unavailable.has(code)) return 503;
  if (bug.has(code)) return 500;
  return 502;
}
