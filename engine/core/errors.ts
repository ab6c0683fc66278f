// Errors as a DBA reads them (what happened, what to do) and the one question every retry decision
// asks: is this error transient? Driver errors are classified here and nowhere else, so the clone,
// the appliers and the change stream reader never disagree about what is worth retrying.
import { setTimeout as delay } from 'node:timers/promises';
import {
  MongoError,
  MongoNetworkError,
  MongoNetworkTimeoutError,
  MongoOperationTimeoutError,
  MongoParseError,
  MongoServerSelectionError,
} from 'mongodb';
import type { FerryErrorInfo } from '../protocol.js';
import { redactUris } from '../redact.js';

// Redaction lives in engine/redact.ts, shared with the headless server.
export { redactUri, redactUris } from '../redact.js';

export class FerryError extends Error {
  readonly code: string;
  readonly remedy: string | undefined;
  readonly transient: boolean;

  constructor(info: FerryErrorInfo, options?: ErrorOptions) {
    super(redactUris(info.message), options);
    this.name = 'FerryError';
    this.code = info.code;
    this.remedy = info.remedy === undefined ? undefined : redactUris(info.remedy);
    this.transient = info.transient ?? false;
  }

  /** Wraps any error thrown by the driver or the engine, keeping it as the cause. */
  static from(error: unknown): FerryError {
    return error instanceof FerryError ? error : new FerryError(classify(error), { cause: error });
  }

  toInfo(): FerryErrorInfo {
    const info: FerryErrorInfo = { code: this.code, message: this.message, transient: this.transient };
    if (this.remedy !== undefined) info.remedy = this.remedy;
    return info;
  }
}

// ---------------------------------------------------------------------------------------------------
// Classification

interface Rule {
  code: string;
  transient: boolean;
  /** Said before the driver's own message, which carries the specifics. */
  summary?: string;
  remedy?: string;
}

const failover: Rule = {
  code: 'PRIMARY_CHANGED',
  transient: true,
  summary: 'the replica set is electing or changing its primary',
  remedy: 'Ferry retries on its own; if this lasts, check the health of the replica set (rs.status()).',
};
const unreachable: Rule = {
  code: 'CONNECTION_FAILED',
  transient: true,
  summary: 'the server could not be reached',
  remedy: 'Ferry retries on its own; if this lasts, check the host names, ports, firewall and TLS settings.',
};
const timeout: Rule = {
  code: 'TIMEOUT',
  transient: true,
  summary: 'the operation timed out',
  remedy: 'Ferry retries on its own; if this lasts, check the load on the server and the network latency.',
};
const staleRouting: Rule = {
  code: 'STALE_ROUTING',
  transient: true,
  summary: 'the sharded cluster was refreshing its routing table',
  remedy: 'Ferry retries on its own.',
};
const historyLost: Rule = {
  code: 'HISTORY_LOST',
  transient: false,
  summary: 'oplog history is lost: the source oplog no longer reaches the resume point',
  remedy:
    'Enlarge the source oplog (replSetResizeOplog) so it covers the whole clone plus any pause, ' +
    'then reset and start the migration again.',
};
const duplicateKey: Rule = {
  code: 'DUPLICATE_KEY',
  transient: false,
  summary: 'a unique index on the target rejected a document',
  remedy:
    'Ferry builds unique indexes as non-unique while syncing; look for unique indexes created on the ' +
    'target outside Ferry, or reset and start again on an empty target.',
};
const pathConflict: Rule = {
  code: 'UPDATE_PATH_CONFLICT',
  transient: false,
  summary: 'the target document does not have the shape the update expects',
  remedy: 'Ferry recovers by copying the document again from the source; report it if it persists.',
};

const ruleByCode = new Map<number, Rule>([
  // The network and elections: waiting fixes these.
  [6, unreachable], // HostUnreachable
  [7, unreachable], // HostNotFound
  [9001, unreachable], // SocketException
  [89, timeout], // NetworkTimeout
  [50, timeout], // MaxTimeMSExpired
  [262, timeout], // ExceededTimeLimit
  [64, { ...timeout, code: 'WRITE_CONCERN_TIMEOUT', summary: 'the write concern was not satisfied in time' }],
  [91, failover], // ShutdownInProgress
  [189, failover], // PrimarySteppedDown
  [10107, failover], // NotWritablePrimary
  [10058, failover], // LegacyNotPrimary
  [11600, failover], // InterruptedAtShutdown
  [11602, failover], // InterruptedDueToReplStateChange
  [13435, failover], // NotPrimaryNoSecondaryOk
  [13436, failover], // NotPrimaryOrSecondary
  [133, failover], // FailedToSatisfyReadPreference
  [63, staleRouting], // StaleShardVersion
  [150, staleRouting], // StaleEpoch
  [13388, staleRouting], // StaleConfig
  [234, { ...unreachable, code: 'CHANGE_STREAM_INTERRUPTED', summary: 'the change stream must be reopened' }],
  // Waiting does not fix these.
  [286, historyLost], // ChangeStreamHistoryLost
  [136, historyLost], // CappedPositionLost
  [
    18,
    {
      code: 'AUTH_FAILED',
      transient: false,
      summary: 'authentication failed',
      remedy: 'Check the user name, the password, authSource and authMechanism in the connection string.',
    },
  ],
  [
    13,
    {
      code: 'UNAUTHORIZED',
      transient: false,
      summary: 'the user lacks a privilege',
      remedy:
        'Grant the source user readAnyDatabase, clusterMonitor and backup, and the target user ' +
        'readWriteAnyDatabase, dbAdminAnyDatabase, clusterMonitor and restore; then resume.',
    },
  ],
  [11000, duplicateKey],
  [11001, duplicateKey],
  [12582, duplicateKey],
  [28, pathConflict], // PathNotViable
  [29, pathConflict], // NonExistentPath
  [26, { code: 'NAMESPACE_NOT_FOUND', transient: false, summary: 'the collection or database does not exist' }],
  [27, { code: 'INDEX_NOT_FOUND', transient: false, summary: 'the index does not exist' }],
  [48, { code: 'NAMESPACE_EXISTS', transient: false, summary: 'the collection already exists on the target' }],
  [
    121,
    {
      code: 'DOCUMENT_VALIDATION_FAILED',
      transient: false,
      summary: 'the target collection validator rejected a document',
      remedy: 'Relax the validator on the target (validationLevel: "moderate" or "off") during the migration.',
    },
  ],
  [
    100,
    {
      code: 'WRITE_CONCERN_UNSATISFIABLE',
      transient: false,
      summary: 'the target cannot acknowledge majority writes',
      remedy: 'Make sure a majority of the target replica set members are up and data-bearing.',
    },
  ],
  [
    59,
    {
      code: 'COMMAND_NOT_FOUND',
      transient: false,
      summary: 'the server does not support a command Ferry needs',
      remedy: 'Check the server version and edition against the requirements in the preflight checks.',
    },
  ],
  [
    10334,
    {
      code: 'DOCUMENT_TOO_LARGE',
      transient: false,
      summary: 'a document is larger than the target accepts',
      remedy: 'Check the target server version: its document size limit must match the source.',
    },
  ],
]);

const transientLabels = [
  'RetryableWriteError',
  'TransientTransactionError',
  'ResumableChangeStreamError',
  'RetryableError',
  'SystemOverloadedError',
];

const transientServerError: Rule = {
  code: 'TRANSIENT_SERVER_ERROR',
  transient: true,
  summary: 'the server reported a temporary error',
  remedy: 'Ferry retries on its own.',
};

const tlsFailed: Rule = {
  code: 'TLS_FAILED',
  transient: false,
  summary: 'the TLS handshake failed',
  remedy:
    'Give the certificate authority file (tlsCAFile) that signed the server certificate, and check the host name.',
};
const hostNotFound: Rule = {
  code: 'HOST_NOT_FOUND',
  transient: false,
  summary: 'a host name in the connection string does not resolve',
  remedy: 'Check the host names (and the SRV record for mongodb+srv:// strings).',
};

/** Node socket errors worth waiting out. */
const transientSystemErrors = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

const tlsMessage = /certificate|self[- ]signed|SSL routines|\bTLS\b/i;

/** What an error means for the engine and for the operator. Never throws. */
export function classify(error: unknown): FerryErrorInfo {
  if (error instanceof FerryError) return error.toInfo();
  const message = messageOf(error);
  const rule = ruleFor(error, message);
  const info: FerryErrorInfo = {
    code: rule.code,
    message: redactUris(rule.summary === undefined ? message : `${rule.summary}: ${message}`),
    transient: rule.transient,
  };
  if (rule.remedy !== undefined) info.remedy = rule.remedy;
  return info;
}

function ruleFor(error: unknown, message: string): Rule {
  const codes = serverCodes(error);
  // A bulk write that failed only on duplicate keys is one thing; otherwise the first other code decides.
  const decisive = codes.find((code) => ruleByCode.get(code) !== duplicateKey) ?? codes[0];
  const byCode = decisive === undefined ? undefined : ruleByCode.get(decisive);
  if (byCode) return byCode;
  if (error instanceof MongoError && transientLabels.some((label) => error.hasErrorLabel(label))) {
    return transientServerError;
  }
  if (/KeyNotFound/.test(message)) return transientServerError; // keys rotating during authentication
  if (error instanceof MongoParseError) {
    return {
      code: 'INVALID_CONNECTION_STRING',
      transient: false,
      summary: 'the connection string is not valid',
      remedy: 'Write it as mongodb://user:password@host:port/?options or mongodb+srv://user:password@cluster/.',
    };
  }
  const systemCode = systemCodeOf(error);
  if (systemCode === 'ENOTFOUND' || /ENOTFOUND/.test(message)) return hostNotFound;
  if (tlsMessage.test(message) || systemCode?.startsWith('ERR_TLS') || systemCode?.includes('CERT')) {
    return tlsFailed;
  }
  if (error instanceof MongoNetworkTimeoutError || error instanceof MongoOperationTimeoutError) return timeout;
  if (error instanceof MongoNetworkError || error instanceof MongoServerSelectionError) return unreachable;
  if (systemCode !== undefined && transientSystemErrors.has(systemCode)) return unreachable;
  if (error instanceof Error && error.name === 'AbortError') {
    return { code: 'CANCELLED', transient: false, summary: 'the operation was cancelled' };
  }
  if (decisive !== undefined) return { code: 'SERVER_ERROR', transient: false };
  return { code: 'UNEXPECTED', transient: false, summary: 'unexpected error' };
}

/** Numeric server codes of an error, most specific first: write errors, write concern, its own. */
function serverCodes(error: unknown): number[] {
  if (!isRecord(error)) return [];
  const codes: number[] = [];
  if (Array.isArray(error.writeErrors)) {
    for (const writeError of error.writeErrors) {
      if (isRecord(writeError) && typeof writeError.code === 'number') codes.push(writeError.code);
    }
  }
  if (isRecord(error.writeConcernError) && typeof error.writeConcernError.code === 'number') {
    codes.push(error.writeConcernError.code);
  }
  if (typeof error.code === 'number') codes.push(error.code);
  return codes;
}

function systemCodeOf(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; isRecord(current) && depth < 5; current = current.cause, depth++) {
    if (typeof current.code === 'string') return current.code;
  }
  return undefined;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === 'string') return error;
  return String(error);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

// ---------------------------------------------------------------------------------------------------
// Retry

export interface RetryPolicy {
  /** Attempts in all, the first included; Infinity keeps going for as long as errors are retryable. */
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  /** Growth of the delay between attempts; 2 unless set. */
  factor?: number;
  /** Which errors deserve another attempt; transient ones unless set. */
  retryable?: (error: FerryErrorInfo) => boolean;
  /** Waits between attempts; injectable so tests need no timers. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  onRetry?: (retry: { attempt: number; delayMs: number; error: FerryErrorInfo }) => void;
  /** Stops retrying (pause, shutdown): the pending wait rejects and no further attempt is made. */
  signal?: AbortSignal;
}

const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> => delay(ms, undefined, { signal });

/**
 * Runs fn until it succeeds, waiting with exponential backoff between attempts that failed with a
 * retryable error. Rethrows the last error unchanged, so callers can classify it themselves.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, policy: RetryPolicy): Promise<T> {
  const { attempts, initialDelayMs, maxDelayMs, factor = 2, signal } = policy;
  const retryable = policy.retryable ?? ((error: FerryErrorInfo) => error.transient === true);
  const sleep = policy.sleep ?? defaultSleep;
  let delayMs = initialDelayMs;
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (error) {
      const info = classify(error);
      if (attempt >= attempts || !retryable(info)) throw error;
      const wait = Math.min(delayMs, maxDelayMs);
      policy.onRetry?.({ attempt, delayMs: wait, error: info });
      await sleep(wait, signal);
      delayMs = wait * factor;
    }
  }
}
