// ping, buildInfo and the other read-only diagnostics a driver, mongosh or a migration tool asks for.
import { SERVER_VERSION, MAX_BSON_SIZE } from '../limits.js';
import type { CommandSpec } from './types.js';

const ping: CommandSpec = { name: 'ping', noAuth: true, run: () => ({}) };

const buildInfo: CommandSpec = {
  name: 'buildInfo',
  aliases: ['buildinfo'],
  noAuth: true,
  run: () => ({
    version: SERVER_VERSION,
    gitVersion: 'ferry-sandbox',
    versionArray: [...SERVER_VERSION.split('.').map(Number), 0],
    bits: 64,
    debug: false,
    maxBsonObjectSize: MAX_BSON_SIZE,
    storageEngines: ['ferry-sandbox'],
    modules: [],
    javascriptEngine: 'none',
    sysInfo: 'deprecated',
    allocator: 'system',
    openssl: { running: 'node', compiled: 'node' },
    buildEnvironment: { distmod: 'ferry-sandbox', target_os: process.platform, target_arch: process.arch },
    ferrySandbox: true,
  }),
};

export const diagnosticCommands: CommandSpec[] = [ping, buildInfo];
