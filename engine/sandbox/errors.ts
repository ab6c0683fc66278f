// MongoDB's error codes and names, and the error type every command handler throws. Keeping them in
// one table means every answer carries the code and codeName a real server would send.
import type { EncodableValue } from './bson/values.js';
import { moreCodeNames } from './error-code-names.js';

export const ErrorCodes = {
  InternalError: 1,
  BadValue: 2,
  NoSuchKey: 4,
  FailedToParse: 9,
  UserNotFound: 11,
  Unauthorized: 13,
  TypeMismatch: 14,
  InvalidLength: 16,
  ProtocolError: 17,
  AuthenticationFailed: 18,
  IllegalOperation: 20,
  NamespaceNotFound: 26,
  IndexNotFound: 27,
  PathNotViable: 28,
  ConflictingUpdateOperators: 40,
  CursorNotFound: 43,
  NamespaceExists: 48,
  MaxTimeMSExpired: 50,
  DollarPrefixedFieldName: 52,
  InvalidIdField: 53,
  NotSingleValueField: 54,
  EmptyFieldName: 56,
  CommandNotFound: 59,
  ImmutableField: 66,
  CannotCreateIndex: 67,
  InvalidOptions: 72,
  InvalidNamespace: 73,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  ShutdownInProgress: 91,
  OperationFailed: 96,
  WriteConflict: 112,
  CommandNotSupported: 115,
  DocumentValidationFailure: 121,
  CappedPositionLost: 136,
  CommandNotSupportedOnView: 166,
  OptionNotSupportedOnView: 167,
  InvalidPipelineOperator: 168,
  PrimarySteppedDown: 189,
  InvalidIndexSpecificationOption: 197,
  TransactionTooOld: 225,
  NoSuchTransaction: 251,
  TransactionCommitted: 256,
  OperationNotSupportedInTransaction: 263,
  ChangeStreamFatalError: 280,
  ChangeStreamHistoryLost: 286,
  CannotConvertIndexToUnique: 359,
  UserWritesBlocked: 371,
  BSONObjectTooLarge: 10334,
  NotWritablePrimary: 10107,
  DuplicateKey: 11000,
  InterruptedAtShutdown: 11600,
  InterruptedDueToReplStateChange: 11602,
  NotPrimaryNoSecondaryOk: 13435,
  UserAlreadyExists: 51003,
  RoleNotFound: 31,
} as const;

export type ErrorCodeName = keyof typeof ErrorCodes;

const namesByCode = new Map<number, string>(Object.entries(ErrorCodes).map(([name, code]) => [code, name]));

export function codeNameOf(code: number): string {
  return namesByCode.get(code) ?? moreCodeNames.get(code) ?? `Location${code}`;
}

export class CommandError extends Error {
  readonly code: number;
  readonly codeName: string;
  errorLabels: string[] = [];
  /** Extra fields for the error reply (keyPattern, keyValue, errInfo, ...). */
  readonly extra: Record<string, EncodableValue>;

  constructor(code: number | ErrorCodeName, message: string, extra: Record<string, EncodableValue> = {}) {
    super(message);
    this.code = typeof code === 'number' ? code : ErrorCodes[code];
    this.codeName = codeNameOf(this.code);
    this.extra = extra;
  }

  toReply(): Record<string, EncodableValue> {
    return {
      ok: 0,
      errmsg: this.message,
      code: this.code,
      codeName: this.codeName,
      ...(this.errorLabels.length > 0 ? { errorLabels: this.errorLabels } : {}),
      ...this.extra,
    };
  }
}

export function fail(code: ErrorCodeName | number, message: string, extra?: Record<string, EncodableValue>): never {
  throw new CommandError(code, message, extra);
}
