// Where integration tests find a server: FERRY_TEST_SOURCE_URI (a real mongod replica set) when set,
// otherwise a sandbox started in this process. Tests use only the URI, so they run against both.
import { startSandbox, type RunningSandbox, type SandboxOptions } from '../../engine/sandbox/index.js';

export interface ServerUnderTest {
  uri: string;
  /** Present only when the server is a sandbox started by this process. */
  sandbox?: RunningSandbox;
  /** True when running against an external (real) server. */
  external: boolean;
  stop(): Promise<void>;
}

export async function serverUnderTest(options: Partial<SandboxOptions> = {}): Promise<ServerUnderTest> {
  const external = process.env.FERRY_TEST_SOURCE_URI;
  if (external) return { uri: external, external: true, stop: async () => {} };
  const sandbox = await startSandbox({ port: 0, ...options });
  return { uri: sandbox.uri, sandbox, external: false, stop: () => sandbox.stop() };
}

let counter = 0;
/** A database name unique to this test run, so suites can share a real server. */
export function uniqueDbName(prefix: string): string {
  counter += 1;
  return `ferry_test_${prefix}_${process.pid}_${Date.now().toString(36)}_${counter}`;
}
