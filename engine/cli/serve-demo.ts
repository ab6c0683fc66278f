// `ferry serve --demo`: two sandboxes in this process, the source seeded with the demo data set, and a
// gentle write load on the source (a few writes a second) so replication has something to show. The
// load stops before the sandboxes do.
import { MongoClient, type Document } from 'mongodb';
import { startSandbox, type RunningSandbox } from '../sandbox/index.js';
import type { ServerLog } from '../server/server-log.js';

export interface DemoClusters {
  sourceUri: string;
  targetUri: string;
  stop(): Promise<void>;
}

const WRITE_INTERVAL_MS = 400;

export async function startDemoClusters(log: ServerLog): Promise<DemoClusters> {
  const started: RunningSandbox[] = [];
  try {
    started.push(await startSandbox({ port: 0, replSet: 'rs0', seed: 'demo' }));
    started.push(await startSandbox({ port: 0, replSet: 'rs1' }));
  } catch (error) {
    await Promise.all(started.map((sandbox) => sandbox.stop()));
    throw error;
  }
  const [source, target] = started;
  const load = await startWriteLoad(source.uri, log);
  log.info('demo clusters started: the source holds the demo data and receives a few writes a second', {
    source: source.uri,
    target: target.uri,
  });
  return {
    sourceUri: source.uri,
    targetUri: target.uri,
    async stop() {
      await load.stop();
      await Promise.all(started.map((sandbox) => sandbox.stop()));
    },
  };
}

/** Page views appended to analytics.events and counted on a session, one write at a time. */
async function startWriteLoad(uri: string, log: ServerLog): Promise<{ stop(): Promise<void> }> {
  const client = new MongoClient(uri, { appName: 'ferry-demo-load' });
  const analytics = client.db('analytics');
  const sessionIds = (
    await analytics
      .collection('sessions')
      .find({}, { projection: { _id: 1 }, limit: 50 })
      .toArray()
  ).map((session) => session._id as unknown);
  let writes = 0;
  let failures = 0;
  let running: Promise<void> = Promise.resolve();
  const write = async (): Promise<void> => {
    const sessionId = sessionIds[writes % Math.max(1, sessionIds.length)];
    if (writes % 2 === 0 || sessionId === undefined) {
      await analytics
        .collection('events')
        .insertOne({ type: 'page_view', at: new Date(), page: '/demo', sessionId } as Document);
    } else {
      await analytics.collection('sessions').updateOne({ _id: sessionId } as Document, { $inc: { pageViews: 1 } });
    }
    writes++;
  };
  const timer = setInterval(() => {
    running = running.then(write).catch((error: unknown) => {
      // Said once: the demo goes on without its load rather than filling the log.
      if (failures++ === 0) log.warn('demo write load: a write failed', { error: (error as Error).message });
    });
  }, WRITE_INTERVAL_MS);
  return {
    async stop() {
      clearInterval(timer);
      await running;
      await client.close();
    },
  };
}
