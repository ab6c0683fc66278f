// The sandbox runs in this process, so a bug that throws from one of its socket handlers would
// otherwise kill the whole run. Uncaught exceptions and unhandled rejections are recorded
// instead and charged to the test that was running when they happened.

const pending: string[] = [];

function describeCrash(kind: string, error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return `${kind}: ${text}`.replace(/\s+/g, ' ').slice(0, 300);
}

export function captureCrashes(): void {
  process.on('uncaughtException', (error) => pending.push(describeCrash('uncaught exception', error)));
  process.on('unhandledRejection', (reason) => pending.push(describeCrash('unhandled rejection', reason)));
}

/** Crashes recorded since the last call. */
export function takeCrashes(): string[] {
  return pending.splice(0, pending.length);
}

const outsideTests: string[] = [];

/** Called when a test starts: what was recorded since the last test belongs to no test. */
export function setAsideCrashes(): void {
  outsideTests.push(...takeCrashes());
}

/** Crashes that happened between tests (printed by the report). */
export function crashesOutsideTests(): string[] {
  setAsideCrashes();
  return [...outsideTests];
}
