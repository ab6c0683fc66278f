// Secrets never leave Ferry: every connection string in a log line, status, error or HTTP answer
// passes through here. Shared by the engine and the headless server (neither may import the other's
// internals), so there is one rule for what gets hidden.
import { redactConnectionString } from 'mongodb-connection-string-url';

const REDACTED = '****';

/** The connection string with its password (and other secrets in options) replaced by ****. */
export function redactUri(uri: string): string {
  // The user name stays: a DBA needs to see which account a connection uses.
  return redactConnectionString(uri, { redactUsernames: false, replacementString: REDACTED });
}

// Stops at quotes, angle brackets and backslashes so URIs inside JSON-escaped text are found too.
const uriInText = /mongodb(?:\+srv)?:\/\/[^\s"'<>\\]+/g;

/** Redacts every mongodb:// or mongodb+srv:// URI found in free text (error messages, log lines). */
export function redactUris(text: string): string {
  return text.replace(uriInText, (uri) => redactUri(uri));
}
