// serverStatus, hostInfo and getCmdLineOpts: what monitoring tools and Ferry's preflight read about
// the process, its host and its configuration, in mongod 8.0's shapes (sections the sandbox has no
// data for are left out rather than invented).
import os from 'node:os';
import { Double, Long, type EncodableValue } from '../bson/values.js';
import { SERVER_VERSION } from '../limits.js';
import type { Sandbox } from '../sandbox.js';
import { numberOption } from '../storage/writer.js';
import { currentOpTime } from './replication.js';
import type { CommandReply, CommandSpec } from './types.js';

/** mongod's "prettyHostName": the host name, with the port unless it is the default one. */
function hostName(sandbox: Sandbox): string {
  const port = sandbox.me.slice(sandbox.me.lastIndexOf(':') + 1);
  return port === '27017' ? os.hostname() : `${os.hostname()}:${port}`;
}

function cpuArch(): string {
  return process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : process.arch;
}

function replicationSection(sandbox: Sandbox): Record<string, EncodableValue> {
  const primary = sandbox.isWritablePrimary;
  const lastWriteDate = new Date(sandbox.clock.current().t * 1000);
  return {
    hosts: [sandbox.me],
    setName: sandbox.options.replSet,
    setVersion: 1,
    isWritablePrimary: primary,
    secondary: !primary,
    ...(primary ? { primary: sandbox.me } : {}),
    me: sandbox.me,
    electionId: sandbox.electionId,
    lastWrite: {
      opTime: currentOpTime(sandbox),
      lastWriteDate,
      majorityOpTime: currentOpTime(sandbox),
      majorityWriteDate: lastWriteDate,
    },
    rbid: 1,
  };
}

function serverStatusSections(sandbox: Sandbox): Record<string, EncodableValue> {
  const connections = sandbox.connectionCounts?.() ?? { current: 0, totalCreated: 0 };
  const counters = sandbox.operations.counters;
  const memory = process.memoryUsage();
  const megabytes = (bytes: number): number => Math.round(bytes / (1024 * 1024));
  return {
    asserts: { regular: 0, warning: 0, msg: 0, user: 0, tripwire: 0, rollovers: 0 },
    connections: {
      current: connections.current,
      available: Math.max(0, 838_860 - connections.current),
      totalCreated: connections.totalCreated,
      rejected: 0,
      active: sandbox.operations.list().length,
      threaded: connections.current,
    },
    mem: {
      bits: 64,
      resident: megabytes(memory.rss),
      virtual: megabytes(memory.rss + memory.external),
      supported: true,
    },
    network: {
      numRequests: Long.fromNumber(Object.values(counters).reduce((sum, count) => sum + count, 0)),
    },
    opcounters: {
      insert: Long.fromNumber(counters.insert),
      query: Long.fromNumber(counters.query),
      update: Long.fromNumber(counters.update),
      delete: Long.fromNumber(counters.delete),
      getmore: Long.fromNumber(counters.getmore),
      command: Long.fromNumber(counters.command),
    },
    opcountersRepl: {
      insert: Long.fromNumber(0),
      query: Long.fromNumber(0),
      update: Long.fromNumber(0),
      delete: Long.fromNumber(0),
      getmore: Long.fromNumber(0),
      command: Long.fromNumber(0),
    },
    repl: replicationSection(sandbox),
    storageEngine: {
      name: 'ferry-sandbox',
      supportsCommittedReads: true,
      supportsSnapshotReadConcern: true,
      readOnly: false,
      persistent: sandbox.options.dbPath !== undefined,
      backupCursorOpen: false,
    },
  };
}

const serverStatus: CommandSpec = {
  name: 'serverStatus',
  run(ctx): CommandReply {
    const { sandbox } = ctx;
    const uptimeMillis = Date.now() - sandbox.startedAt.getTime();
    const reply: CommandReply = {
      host: hostName(sandbox),
      version: SERVER_VERSION,
      process: 'mongod',
      pid: Long.fromNumber(process.pid),
      uptime: new Double(Math.floor(uptimeMillis / 1000)),
      uptimeMillis: Long.fromNumber(uptimeMillis),
      uptimeEstimate: Long.fromNumber(Math.floor(uptimeMillis / 1000)),
      localTime: new Date(),
    };
    // Like mongod, `{ <section>: 0 }` leaves a section out.
    for (const [name, section] of Object.entries(serverStatusSections(sandbox))) {
      const wanted = ctx.body.get(name);
      if (wanted !== false && numberOption(wanted) !== 0) reply[name] = section;
    }
    return reply;
  },
};

const hostInfo: CommandSpec = {
  name: 'hostInfo',
  run(ctx) {
    const memSizeMB = Long.fromNumber(Math.round(os.totalmem() / (1024 * 1024)));
    const cores = os.cpus();
    return {
      system: {
        currentTime: new Date(),
        hostname: hostName(ctx.sandbox),
        cpuAddrSize: 64,
        memSizeMB,
        memLimitMB: memSizeMB,
        numCores: cores.length,
        numCoresAvailableToProcess: os.availableParallelism(),
        numPhysicalCores: cores.length,
        numCpuSockets: 1,
        cpuArch: cpuArch(),
        numaEnabled: false,
        numNumaNodes: 1,
      },
      os: { type: os.type(), name: `${os.type()} ${os.release()}`, version: os.release() },
      extra: {
        versionString: os.version(),
        kernelVersion: os.release(),
        cpuString: cores[0]?.model ?? '',
        cpuFrequencyMHz: String(cores[0]?.speed ?? 0),
        pageSize: Long.fromNumber(4096),
        numPages: Math.round(os.totalmem() / 4096),
        maxOpenFiles: 1_048_576,
      },
    };
  },
};

const getCmdLineOpts: CommandSpec = {
  name: 'getCmdLineOpts',
  run(ctx) {
    const { options, me } = ctx.sandbox;
    const port = Number(me.slice(me.lastIndexOf(':') + 1));
    const argv = ['mongod', '--replSet', options.replSet, '--port', String(port), '--bind_ip', options.host];
    if (options.dbPath) argv.push('--dbpath', options.dbPath);
    if (options.auth) argv.push('--auth');
    if (options.tls) argv.push('--tlsMode', 'requireTLS', '--tlsCertificateKeyFile', options.tls.certFile);
    return {
      argv,
      parsed: {
        net: {
          bindIp: options.host,
          port,
          ...(options.tls ? { tls: { mode: 'requireTLS', certificateKeyFile: options.tls.certFile } } : {}),
        },
        replication: { replSet: options.replSet },
        ...(options.auth ? { security: { authorization: 'enabled' } } : {}),
        ...(options.dbPath ? { storage: { dbPath: options.dbPath } } : {}),
      },
    };
  },
};

export const serverStatusCommands: CommandSpec[] = [serverStatus, hostInfo, getCmdLineOpts];
