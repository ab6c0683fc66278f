// Where an engine host's log goes. A worker thread writes to the process's own standard output, so
// each case runs a host in a child process and reads what that process printed: by default the
// worker's pino JSON lines; with logOutput 'none' nothing from the worker, while the host's listeners
// still receive every record (EngineEvent 'log').
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClusters, testNames, type Clusters } from './migration-helpers.js';

const repository = new URL('../../', import.meta.url).pathname;
let clusters: Clusters;
let scratch: string;
let script: string;

beforeAll(async () => {
  clusters = await startClusters();
  scratch = await mkdtemp(join(tmpdir(), 'ferry-host-log-'));
  script = join(scratch, 'host.mjs');
  // Sets the target and resets: the engine logs "migration reset ..." at info. Records the listeners
  // receive go to standard error, so standard output holds only what the worker wrote itself.
  await writeFile(
    script,
    `import { EngineHost } from ${JSON.stringify(join(repository, 'engine/host/engine-host.ts'))};
const host = await EngineHost.start(JSON.parse(process.env.HOST_OPTIONS));
host.subscribe((event) => {
  if (event.type === 'log') process.stderr.write('record: ' + event.record.message + '\\n');
});
const results = [await host.setConnection('target', { uri: process.env.TARGET_URI }), await host.reset()];
await host.close();
for (const result of results) if (!result.ok) throw new Error(result.error.message);
`,
  );
}, 60_000);

afterAll(async () => {
  await clusters?.stop();
  await rm(scratch, { recursive: true, force: true });
});

interface Output {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runHost(options: Record<string, unknown>): Promise<Output> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: repository,
      env: { ...process.env, HOST_OPTIONS: JSON.stringify(options), TARGET_URI: clusters.targetUri },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const resetMessage = 'migration reset: checkpoint and heartbeat removed; the target data is unchanged';

describe("the engine host's log output", () => {
  it("writes the worker's pino JSON lines to standard output by default", async () => {
    const { metadataDb } = testNames('host_log_stdout');
    const output = await runHost({ metadataDb, logLevel: 'info' });
    expect(output.code, output.stderr).toBe(0);
    const lines = output.stdout.split('\n').filter((line) => line !== '');
    expect(lines.map((line) => JSON.parse(line) as Record<string, unknown>)).toContainEqual(
      expect.objectContaining({ level: 30, name: 'ferry', msg: resetMessage }),
    );
    expect(output.stderr).toContain(`record: ${resetMessage}`);
  }, 60_000);

  it("with logOutput 'none' the worker prints nothing, and the listeners still get every record", async () => {
    const { metadataDb } = testNames('host_log_none');
    const output = await runHost({ metadataDb, logLevel: 'info', logOutput: 'none' });
    expect(output.code, output.stderr).toBe(0);
    expect(output.stdout).toBe('');
    expect(output.stderr).toContain(`record: ${resetMessage}`);
  }, 60_000);
});
