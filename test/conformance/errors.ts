// Errors raised by the runner itself (malformed test, unsupported operation, failed assertion).
// They are kept apart from driver errors so that an `expectError` can never be satisfied by a
// runner bug.

/** The test file or the runner is at fault, not the server. */
export class RunnerError extends Error {
  override name = 'RunnerError';
}

/** An assertion of the test (result, error, outcome) did not hold. */
export class AssertionFailure extends Error {
  override name = 'AssertionFailure';
}
