// The session fields of a write command, as the oplog records them, and the transaction it belongs to.
import { Long } from '../bson/values.js';
import { transactionOf } from '../sessions/transaction.js';
import type { WriteContext } from '../storage/writer.js';
import type { CommandContext } from './types.js';

export function writeContextOf(ctx: CommandContext): WriteContext {
  const lsid = ctx.body.get('lsid');
  const txnNumber = ctx.body.get('txnNumber');
  return {
    lsid: lsid instanceof Map ? lsid : undefined,
    txnNumber: txnNumber instanceof Long ? txnNumber : undefined,
    transaction: transactionOf(ctx),
  };
}
