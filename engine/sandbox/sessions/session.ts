// What the server remembers about one logical session: when it was last used, the newest txnNumber
// it has seen, and what that number was used for (a transaction, or a retryable write and its reply).
import type { CommandReply } from '../commands/types.js';
import type { SessionId } from './lsid.js';
import type { Transaction } from './transaction.js';

/** mongod's txnNumber before a session's first transaction or retryable write. */
export const UNINITIALIZED_TXN_NUMBER = -1n;

export class Session {
  lastUse = Date.now();
  activeTxnNumber = UNINITIALIZED_TXN_NUMBER;
  /** Set when activeTxnNumber started a multi-document transaction. */
  transaction?: Transaction;
  /** The reply of the retryable write at activeTxnNumber, returned again to its retries. */
  retryableReply?: CommandReply;

  constructor(readonly id: SessionId) {}

  /** Whether activeTxnNumber belongs to retryable writes rather than to a transaction. */
  get inRetryableWriteMode(): boolean {
    return this.transaction === undefined;
  }

  /** Moves to a newer txnNumber; a transaction still open at the old number is aborted, as on mongod. */
  advanceTo(txnNumber: bigint, transaction?: Transaction): void {
    this.transaction?.abort();
    this.activeTxnNumber = txnNumber;
    this.transaction = transaction;
    this.retryableReply = undefined;
  }
}
