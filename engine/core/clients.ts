// The engine's two connections: the settings the operator gave for each side and the client made
// from them, connected on first use and replaced when the settings change. One place, so that every
// command talks to the clusters the operator last named and no client is left open.
import type { MongoClient } from 'mongodb';
import type { ConnectionSettings, Side } from '../protocol.js';
import { connect } from './connections.js';
import { FerryError } from './errors.js';

interface Connection {
  settings: ConnectionSettings;
  /** Cleared when connecting failed, so the next use tries again. */
  client?: Promise<MongoClient>;
}

export class Clients {
  private readonly connections: Partial<Record<Side, Connection>> = {};

  /** New settings for one side; the client made from the previous ones is closed. */
  async set(side: Side, settings: ConnectionSettings): Promise<void> {
    const previous = this.connections[side];
    this.connections[side] = { settings };
    await close(previous);
  }

  has(side: Side): boolean {
    return this.connections[side] !== undefined;
  }

  settings(side: Side): ConnectionSettings {
    const connection = this.connections[side];
    if (!connection) {
      throw new FerryError({
        code: 'NOT_CONNECTED',
        message: `no ${side} connection is set`,
        remedy: `Enter the ${side} connection string first.`,
      });
    }
    return connection.settings;
  }

  get(side: Side): Promise<MongoClient> {
    const settings = this.settings(side);
    const connection = this.connections[side] as Connection;
    connection.client ??= connect(side, settings).catch((error: unknown) => {
      connection.client = undefined;
      throw error;
    });
    return connection.client;
  }

  async both(): Promise<[source: MongoClient, target: MongoClient]> {
    return [await this.get('source'), await this.get('target')];
  }

  async close(): Promise<void> {
    await Promise.all([close(this.connections.source), close(this.connections.target)]);
  }
}

async function close(connection: Connection | undefined): Promise<void> {
  const client = await connection?.client?.catch(() => undefined);
  await client?.close().catch(() => undefined);
}
