// Where the suite runs: the server named by FERRY_TEST_SOURCE_URI, or an in-process sandbox.
// The sandbox is imported only when needed, so pointing the runner at a real mongod does not
// load (or require a working) engine/sandbox.

export interface ServerUnderTest {
  uri: string;
  /** "sandbox" or "FERRY_TEST_SOURCE_URI", for the report header. */
  origin: string;
  stop(): Promise<void>;
}

export async function startServerUnderTest(): Promise<ServerUnderTest> {
  const external = process.env.FERRY_TEST_SOURCE_URI;
  if (external) return { uri: external, origin: 'FERRY_TEST_SOURCE_URI', stop: async () => undefined };
  const { startSandbox } = await import('../../engine/sandbox/index.js');
  const sandbox = await startSandbox({ port: 0 });
  return { uri: sandbox.uri, origin: 'in-process sandbox', stop: () => sandbox.stop() };
}
