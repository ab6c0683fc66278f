// What the server knows about one client connection.
export interface ConnectionState {
  readonly id: number;
  readonly remote: string;
  /** Set after a successful SCRAM conversation. */
  user?: { name: string; db: string; roles: { role: string; db: string }[] };
  appName?: string;
  /** Compressor the client agreed to in hello, used for replies to compressed requests. */
  compressors: string[];
  /** In-progress SASL conversation state, owned by the auth commands. */
  sasl?: unknown;
  /** Closes the socket (failCommand closeConnection, replSetStepDown). */
  destroy(): void;
}
