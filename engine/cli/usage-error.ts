// A mistake in how a command was invoked: reported as one line and exit code 2, never as a stack trace.
export const USAGE_EXIT_CODE = 2;

export class UsageError extends Error {}
