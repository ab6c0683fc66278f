// One multi-document transaction. Its writes are applied at once (so their replies are real), but
// their oplog entries wait here until commit and every change leaves an inverse in the undo log, run
// newest first on abort. Other sessions can read uncommitted writes: there is no snapshot isolation.
import type { BsonDoc } from '../bson/values.js';
import type { CommandContext } from '../commands/types.js';
import type { OplogEntry } from '../storage/oplog.js';
import type { TransactionLog, Writer } from '../storage/writer.js';

export type TransactionState = 'inProgress' | 'committed' | 'aborted';

export class Transaction implements TransactionLog {
  readonly entries: OplogEntry[] = [];
  readonly undo: (() => void)[] = [];
  state: TransactionState = 'inProgress';
  readonly startedAt = Date.now();

  constructor(
    readonly txnNumber: bigint,
    /** The readConcern of the statement that started it (reported by currentOp). */
    readonly readConcern: BsonDoc | undefined,
  ) {}

  /** Publishes the held entries under one cluster time. */
  commit(writer: Writer): void {
    if (this.state !== 'inProgress') return;
    writer.commitTransaction(this);
    this.forget();
    this.state = 'committed';
  }

  /** Reverts every change, newest first, and drops the held entries. */
  abort(): void {
    if (this.state !== 'inProgress') return;
    for (let index = this.undo.length - 1; index >= 0; index--) this.undo[index]();
    this.forget();
    this.state = 'aborted';
  }

  private forget(): void {
    this.entries.length = 0;
    this.undo.length = 0;
  }
}

// The transaction a running command belongs to, so its writes (commands/write-context.ts) land in it.
const commandTransactions = new WeakMap<CommandContext, Transaction>();

export function bindTransaction(ctx: CommandContext, transaction: Transaction): void {
  commandTransactions.set(ctx, transaction);
}

export function transactionOf(ctx: CommandContext): Transaction | undefined {
  return commandTransactions.get(ctx);
}
