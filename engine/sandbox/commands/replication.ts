// The replica-set commands of a one-member set: replSetGetStatus in mongod 8.0's shape, and a
// simulated replSetStepDown (the member answers as a secondary for a moment, every connection is
// dropped, then it is primary again after a new election).
import { Double, Long, Timestamp, type EncodableValue, ObjectId } from '../bson/values.js';
import { CommandError } from '../errors.js';
import type { Sandbox } from '../sandbox.js';
import { optionalNumber } from './args.js';
import type { CommandSpec } from './types.js';

const TERM = Long.fromNumber(1);
const DEFAULT_STEP_DOWN_SECS = 60;
const DEFAULT_CATCH_UP_SECS = 10;
const DEFAULT_STEP_DOWN_MS = 500;

/** The member's latest optime: the last cluster time handed out, in the only term there is. */
export function currentOpTime(sandbox: Sandbox): Record<string, EncodableValue> {
  return { ts: sandbox.clock.current(), t: TERM };
}

const replSetGetStatus: CommandSpec = {
  name: 'replSetGetStatus',
  adminOnly: true,
  run(ctx) {
    const { sandbox } = ctx;
    const primary = sandbox.isWritablePrimary;
    const opTime = currentOpTime(sandbox);
    const ts = sandbox.clock.current();
    const optimeDate = new Date(ts.t * 1000);
    const wallTime = sandbox.oplog.last()?.wall ?? sandbox.startedAt;
    const electionDate = sandbox.electionId.getTimestamp();
    return {
      set: sandbox.options.replSet,
      date: new Date(),
      myState: primary ? 1 : 2,
      term: TERM,
      syncSourceHost: '',
      syncSourceId: -1,
      heartbeatIntervalMillis: Long.fromNumber(2000),
      majorityVoteCount: 1,
      writeMajorityCount: 1,
      votingMembersCount: 1,
      writableVotingMembersCount: 1,
      optimes: {
        lastCommittedOpTime: opTime,
        lastCommittedWallTime: wallTime,
        readConcernMajorityOpTime: opTime,
        appliedOpTime: opTime,
        durableOpTime: opTime,
        writtenOpTime: opTime,
        lastAppliedWallTime: wallTime,
        lastDurableWallTime: wallTime,
        lastWrittenWallTime: wallTime,
      },
      lastStableRecoveryTimestamp: ts,
      members: [
        {
          _id: 0,
          name: sandbox.me,
          health: new Double(1),
          state: primary ? 1 : 2,
          stateStr: primary ? 'PRIMARY' : 'SECONDARY',
          uptime: Math.floor((Date.now() - sandbox.startedAt.getTime()) / 1000),
          optime: opTime,
          optimeDate,
          optimeWritten: opTime,
          optimeWrittenDate: optimeDate,
          lastAppliedWallTime: wallTime,
          lastDurableWallTime: wallTime,
          lastWrittenWallTime: wallTime,
          syncSourceHost: '',
          syncSourceId: -1,
          infoMessage: '',
          ...(primary
            ? {
                electionTime: new Timestamp({ t: Math.floor(electionDate.getTime() / 1000), i: 1 }),
                electionDate,
              }
            : {}),
          configVersion: 1,
          configTerm: 1,
          self: true,
          lastHeartbeatMessage: '',
        },
      ],
    };
  },
};

/** The configuration of the one-member set, in mongod 8.0's shape; settings.replicaSetId identifies the data. */
const replSetGetConfig: CommandSpec = {
  name: 'replSetGetConfig',
  adminOnly: true,
  run(ctx) {
    const { sandbox } = ctx;
    return {
      config: {
        _id: sandbox.options.replSet,
        version: 1,
        term: 1,
        members: [
          {
            _id: 0,
            host: sandbox.me,
            arbiterOnly: false,
            buildIndexes: true,
            hidden: false,
            priority: new Double(1),
            tags: {},
            secondaryDelaySecs: Long.fromNumber(0),
            votes: 1,
          },
        ],
        protocolVersion: Long.fromNumber(1),
        writeConcernMajorityJournalDefault: true,
        settings: {
          chainingAllowed: true,
          heartbeatIntervalMillis: 2000,
          heartbeatTimeoutSecs: 10,
          electionTimeoutMillis: 10000,
          catchUpTimeoutMillis: -1,
          catchUpTakeoverDelayMillis: 30000,
          getLastErrorModes: {},
          getLastErrorDefaults: { w: 1, wtimeout: 0 },
          replicaSetId: sandbox.replicaSetId,
        },
      },
    };
  },
};

const replSetStepDown: CommandSpec = {
  name: 'replSetStepDown',
  adminOnly: true,
  run(ctx) {
    const { sandbox } = ctx;
    const stepDownSecs = optionalNumber(ctx.body, 'replSetStepDown') || DEFAULT_STEP_DOWN_SECS;
    const catchUpSecs = optionalNumber(ctx.body, 'secondaryCatchUpPeriodSecs') ?? DEFAULT_CATCH_UP_SECS;
    if (catchUpSecs > stepDownSecs)
      throw new CommandError('BadValue', 'stepdown period must be longer than secondaryCatchUpPeriodSecs');
    if (!sandbox.isWritablePrimary) throw new CommandError('NotWritablePrimary', "not primary so can't step down");
    const secondaryMs = Math.min(stepDownSecs * 1000, sandbox.options.stepDownMs ?? DEFAULT_STEP_DOWN_MS);
    sandbox.steppedDownUntil = Date.now() + secondaryMs;
    // The next election gives the member a newer electionId, so drivers accept it as the new primary.
    sandbox.electionId = new ObjectId();
    sandbox.sessions.abortAllTransactions();
    // Connections close once this reply has been written, as they do when mongod steps down.
    setImmediate(() => sandbox.onDropConnections?.());
    return {};
  },
};

export const replicationCommands: CommandSpec[] = [replSetGetStatus, replSetGetConfig, replSetStepDown];
