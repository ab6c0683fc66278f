// The limits a MongoDB 8.0 server reports in hello and enforces.
export const MAX_BSON_SIZE = 16 * 1024 * 1024;
export const MAX_MESSAGE_SIZE = 48_000_000;
export const MAX_WRITE_BATCH_SIZE = 100_000;
export const MAX_WIRE_VERSION = 25;
/** The version buildInfo reports; the sandbox mimics 8.0 semantics. */
export const SERVER_VERSION = '8.0.4';
