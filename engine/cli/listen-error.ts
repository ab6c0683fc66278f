// Why a server could not listen, said as what to change: shared by `ferry sandbox` and `ferry serve`.
import { UsageError } from './usage-error.js';

export function errorCode(error: unknown): string {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : String(error);
}

/** A UsageError naming the fix for the usual listen failures, or undefined for anything else. */
export function listenUsageError(
  error: unknown,
  host: string | undefined,
  port: number | undefined,
): UsageError | undefined {
  const where = `${host}:${port}`;
  switch (errorCode(error)) {
    case 'EADDRINUSE':
      return new UsageError(
        `port ${port} is already in use on ${host}: stop what listens there or choose another --port`,
      );
    case 'EACCES':
      return new UsageError(
        `not allowed to listen on ${where}: ports below 1024 need privileges, choose another --port`,
      );
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new UsageError(`cannot listen on ${where}: --host ${host} is not an address of this machine`);
  }
  return undefined;
}
