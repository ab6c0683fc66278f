// Starts the TypeScript worker (worker.ts) in a worker thread. Ferry runs its engine as TypeScript
// through tsx without a build step, and on Node 20 a Worker does not pick up a loader from
// `execArgv: ['--import', 'tsx']` (the worker's main module is resolved before the flag's hooks
// apply, and fails with "Unknown file extension .ts"). Registering tsx's ESM loader here, in plain
// JavaScript, and then importing the TypeScript entry works on every supported Node version.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
