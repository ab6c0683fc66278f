// The logical sessions the server knows. A session appears with the first command that names it and
// goes away on endSessions/killSessions or after localLogicalSessionTimeoutMinutes idle; ending one
// aborts its open transaction and kills its cursors. Transactions open longer than
// transactionLifetimeLimitSeconds are aborted, as mongod's transaction reaper does.
import type { CursorManager } from '../cursors.js';
import type { ServerParameters } from '../server-parameters.js';
import type { SessionId } from './lsid.js';
import { Session } from './session.js';

const SWEEP_INTERVAL_MS = 1000;

export class SessionTable {
  private readonly sessions = new Map<string, Session>();
  private lastSweep = 0;

  constructor(
    private readonly cursors: CursorManager,
    private readonly parameters: ServerParameters,
  ) {}

  /** The session for this id (created on first use), marked as used now. */
  touch(id: SessionId): Session {
    let session = this.sessions.get(id.key);
    if (!session) this.sessions.set(id.key, (session = new Session(id)));
    session.lastUse = Date.now();
    return session;
  }

  get(key: string): Session | undefined {
    return this.sessions.get(key);
  }

  all(): Session[] {
    return [...this.sessions.values()];
  }

  end(key: string): void {
    this.sessions.get(key)?.transaction?.abort();
    this.sessions.delete(key);
    this.cursors.killForSession(key);
  }

  endAll(): void {
    for (const key of [...this.sessions.keys()]) this.end(key);
  }

  /** Aborts every open transaction (a stepdown does). */
  abortAllTransactions(): void {
    for (const session of this.sessions.values()) session.transaction?.abort();
  }

  /** Expires idle sessions and overdue transactions; cheap enough to call before every command. */
  sweep(now = Date.now()): void {
    if (now - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = now;
    const { sessionTimeoutMs, transactionLifetimeMs } = this.parameters;
    for (const [key, session] of this.sessions) {
      if (now - session.lastUse > sessionTimeoutMs) this.end(key);
      else if (session.transaction && now - session.transaction.startedAt > transactionLifetimeMs)
        session.transaction.abort();
    }
  }
}
