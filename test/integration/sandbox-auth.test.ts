// Authentication, users and roles through the official driver. Against a real server
// (FERRY_TEST_SOURCE_URI) the URI must carry the credentials of a root user of an auth-enabled replica
// set; every user these tests create lives in their own database and is dropped afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Binary, MongoClient, type Document, type MongoClientOptions } from 'mongodb';
import { serverUnderTest, uniqueDbName, type ServerUnderTest } from '../support/server-under-test.js';
import { serverError } from '../support/server-error.js';
import { RawConnection, opMsg } from '../support/raw-wire.js';
import { ScramClient } from '../support/scram-client.js';

let server: ServerUnderTest;
let root: MongoClient;
const dbName = uniqueDbName('auth');
const otherDbName = `${dbName}_other`;
const opened: MongoClient[] = [];
let userCounter = 0;

/** The URI without its credentials, so other users (or nobody) can connect with it. */
function anonymousUri(): string {
  return server.uri.replace(/^(mongodb(?:\+srv)?:\/\/)[^@/]*@/, '$1');
}

function rootUserName(): string {
  const match = /^mongodb(?:\+srv)?:\/\/([^:@/]+)/.exec(server.uri);
  return decodeURIComponent(match?.[1] ?? '');
}

function hostAndPort(): { host: string; port: number } {
  const [host, port] = anonymousUri()
    .replace(/^mongodb:\/\//, '')
    .split(/[/,?]/)[0]
    .split(':');
  return { host, port: Number(port ?? 27017) };
}

async function connectAs(user: string, pwd: string, options: MongoClientOptions = {}): Promise<MongoClient> {
  const client = new MongoClient(anonymousUri(), {
    auth: { username: user, password: pwd },
    authSource: dbName,
    serverSelectionTimeoutMS: 5000,
    ...options,
  });
  opened.push(client);
  return client.connect();
}

async function createUser(roles: (string | Document)[], extra: Document = {}): Promise<{ user: string; pwd: string }> {
  userCounter += 1;
  const user = `user${userCounter}`;
  const pwd = `secret-${userCounter}`;
  await root.db(dbName).command({ createUser: user, pwd, roles, ...extra });
  return { user, pwd };
}

async function connectionStatus(client: MongoClient, showPrivileges = false): Promise<Document> {
  const reply = await client.db('admin').command({ connectionStatus: 1, showPrivileges });
  return reply.authInfo as Document;
}

beforeAll(async () => {
  server = await serverUnderTest({ auth: { user: 'ferry-root', password: 'root-secret' } });
  root = await new MongoClient(server.uri, { serverSelectionTimeoutMS: 5000 }).connect();
});

afterAll(async () => {
  await Promise.all(opened.map((client) => client.close()));
  // A sandbox forgets everything when it stops; a real server keeps what these tests created.
  if (server?.external) {
    await root.db(dbName).command({ dropAllUsersFromDatabase: 1 });
    await root.db(dbName).dropDatabase();
    await root.db(otherDbName).dropDatabase();
  }
  await root?.close();
  await server?.stop();
});

describe('SCRAM authentication', () => {
  it('authenticates the URI user with the default mechanism and reports it in connectionStatus', async () => {
    const authInfo = await connectionStatus(root);
    expect(authInfo.authenticatedUsers).toEqual([{ user: rootUserName(), db: 'admin' }]);
    expect(authInfo.authenticatedUserRoles).toContainEqual({ role: 'root', db: 'admin' });
  });

  it('authenticates with SCRAM-SHA-1 when authMechanism asks for it', async () => {
    const { user, pwd } = await createUser(['read']);
    const client = await connectAs(user, pwd, { authMechanism: 'SCRAM-SHA-1' });
    expect((await connectionStatus(client)).authenticatedUsers).toEqual([{ user, db: dbName }]);
  });

  it('authenticates with SCRAM-SHA-256 when authMechanism asks for it', async () => {
    const { user, pwd } = await createUser(['read']);
    const client = await connectAs(user, pwd, { authMechanism: 'SCRAM-SHA-256' });
    expect((await connectionStatus(client)).authenticatedUsers).toEqual([{ user, db: dbName }]);
  });

  it('negotiates SCRAM-SHA-1 for a user who only has SCRAM-SHA-1 credentials', async () => {
    const { user, pwd } = await createUser(['read'], { mechanisms: ['SCRAM-SHA-1'] });
    const client = await connectAs(user, pwd);
    expect((await connectionStatus(client)).authenticatedUsers).toEqual([{ user, db: dbName }]);
    const error = await serverError(connectAs(user, pwd, { authMechanism: 'SCRAM-SHA-256' }));
    expect(error.code).toBe(18);
  });

  it('rejects a wrong password with AuthenticationFailed (18)', async () => {
    const { user } = await createUser(['read']);
    const error = await serverError(connectAs(user, 'not-the-password'));
    expect(error.code).toBe(18);
    expect(error.codeName).toBe('AuthenticationFailed');
    expect(error.message).toBe('Authentication failed.');
  });

  it('rejects an unknown user with AuthenticationFailed (18)', async () => {
    const error = await serverError(connectAs('nobody-at-all', 'whatever'));
    expect(error.code).toBe(18);
    expect(error.message).toBe('Authentication failed.');
  });

  it("lists a user's mechanisms in hello when asked with saslSupportedMechs", async () => {
    const { user } = await createUser(['read'], { mechanisms: ['SCRAM-SHA-256'] });
    const known = await root.db('admin').command({ hello: 1, saslSupportedMechs: `${dbName}.${user}` });
    expect(known.saslSupportedMechs).toEqual(['SCRAM-SHA-256']);
    const unknown = await root.db('admin').command({ hello: 1, saslSupportedMechs: `${dbName}.nobody` });
    expect(unknown.saslSupportedMechs).toBeUndefined();
  });

  it('answers speculativeAuthenticate in hello, so no saslStart round trip is needed', async () => {
    const { user, pwd } = await createUser(['read']);
    const { host, port } = hostAndPort();
    const connection = await RawConnection.connect(port, host);
    try {
      const scram = new ScramClient('SCRAM-SHA-256', user, pwd);
      const speculativeAuthenticate = {
        saslStart: 1,
        mechanism: 'SCRAM-SHA-256',
        payload: new Binary(scram.first()),
        options: { skipEmptyExchange: true },
        db: dbName,
      };
      const hello = await connection.request(opMsg({ hello: 1, speculativeAuthenticate, $db: 'admin' }));
      const started = hello.document.speculativeAuthenticate as Document;
      expect(started.conversationId).toBe(1);
      expect(started.done).toBe(false);
      const serverFirst = Buffer.from((started.payload as Binary).buffer);
      const finish = await connection.request(
        opMsg({ saslContinue: 1, conversationId: 1, payload: new Binary(scram.final(serverFirst)), $db: dbName }),
      );
      expect(finish.document.ok).toBe(1);
      expect(finish.document.done).toBe(true);
      expect(scram.verifies(Buffer.from((finish.document.payload as Binary).buffer))).toBe(true);
      const status = await connection.request(opMsg({ connectionStatus: 1, $db: 'admin' }));
      expect(status.document.authInfo.authenticatedUsers).toEqual([{ user, db: dbName }]);
    } finally {
      connection.close();
    }
  });

  it('needs a final empty saslContinue when the client does not skip the empty exchange', async () => {
    const { user, pwd } = await createUser(['read']);
    const { host, port } = hostAndPort();
    const connection = await RawConnection.connect(port, host);
    try {
      const scram = new ScramClient('SCRAM-SHA-1', user, pwd);
      const start = await connection.request(
        opMsg({ saslStart: 1, mechanism: 'SCRAM-SHA-1', payload: new Binary(scram.first()), $db: dbName }),
      );
      expect(start.document).toMatchObject({ ok: 1, conversationId: 1, done: false });
      const serverFirst = Buffer.from((start.document.payload as Binary).buffer);
      const proof = await connection.request(
        opMsg({ saslContinue: 1, conversationId: 1, payload: new Binary(scram.final(serverFirst)), $db: dbName }),
      );
      expect(proof.document).toMatchObject({ ok: 1, conversationId: 1, done: false });
      const last = await connection.request(
        opMsg({ saslContinue: 1, conversationId: 1, payload: new Binary(Buffer.alloc(0)), $db: dbName }),
      );
      expect(last.document).toMatchObject({ ok: 1, conversationId: 1, done: true });
      expect(Buffer.from((last.document.payload as Binary).buffer)).toHaveLength(0);
    } finally {
      connection.close();
    }
  });
});

describe('access control', () => {
  it('refuses commands before authentication with Unauthorized (13) but answers ping and hello', async () => {
    const anonymous = new MongoClient(anonymousUri(), { serverSelectionTimeoutMS: 5000 });
    opened.push(anonymous);
    await anonymous.connect();
    expect((await anonymous.db('admin').command({ ping: 1 })).ok).toBe(1);
    expect((await anonymous.db('admin').command({ hello: 1 })).ok).toBe(1);
    const error = await serverError(anonymous.db(dbName).collection('items').find().toArray());
    expect(error.code).toBe(13);
    expect(error.codeName).toBe('Unauthorized');
    expect(error.message).toBe('Command find requires authentication');
  });

  it('lets a read-only user read but not insert', async () => {
    await root
      .db(dbName)
      .collection('items')
      .insertOne({ _id: 1 } as Document);
    const { user, pwd } = await createUser(['read']);
    const client = await connectAs(user, pwd);
    const items = client.db(dbName).collection('items');
    expect(await items.find().toArray()).toEqual([{ _id: 1 }]);
    const error = await serverError(items.insertOne({ _id: 2 } as Document));
    expect(error.code).toBe(13);
    expect(error.message).toMatch(new RegExp(`^not authorized on ${dbName} to execute command \\{ insert: "items"`));
  });

  it('lets a readWrite user write only in its own database', async () => {
    const { user, pwd } = await createUser(['readWrite']);
    const client = await connectAs(user, pwd);
    await client.db(dbName).collection('written').insertOne({ ok: true });
    const error = await serverError(client.db(otherDbName).collection('written').insertOne({ ok: true }));
    expect(error.code).toBe(13);
  });

  it('applies granted and revoked roles to a connection that is already open', async () => {
    const { user, pwd } = await createUser(['read']);
    const client = await connectAs(user, pwd, { maxPoolSize: 1 });
    const items = client.db(dbName).collection('granted');
    expect((await serverError(items.insertOne({ step: 1 }))).code).toBe(13);
    await root.db(dbName).command({ grantRolesToUser: user, roles: ['readWrite'] });
    await items.insertOne({ step: 2 });
    await root.db(dbName).command({ revokeRolesFromUser: user, roles: ['readWrite'] });
    expect((await serverError(items.insertOne({ step: 3 }))).code).toBe(13);
  });

  it('lets a user see itself in usersInfo but not others without viewUser', async () => {
    const { user, pwd } = await createUser(['read']);
    const other = await createUser(['read']);
    const client = await connectAs(user, pwd);
    const self = await client.db(dbName).command({ usersInfo: user });
    expect(self.users.map((entry: Document) => entry.user)).toEqual([user]);
    expect((await serverError(client.db(dbName).command({ usersInfo: other.user }))).code).toBe(13);
  });

  it('forgets the user after logout', async () => {
    const { user, pwd } = await createUser(['read']);
    const client = await connectAs(user, pwd, { maxPoolSize: 1 });
    await client.db(dbName).command({ logout: 1 });
    const authInfo = await connectionStatus(client);
    expect(authInfo.authenticatedUsers).toEqual([]);
    expect((await serverError(client.db(dbName).collection('items').findOne())).code).toBe(13);
  });
});

describe('connectionStatus', () => {
  it('lists the privileges of a read-only user with showPrivileges', async () => {
    const { user, pwd } = await createUser(['read']);
    const client = await connectAs(user, pwd);
    const authInfo = await connectionStatus(client, true);
    expect(authInfo.authenticatedUserRoles).toEqual([{ role: 'read', db: dbName }]);
    const onDatabase = (authInfo.authenticatedUserPrivileges as Document[]).find(
      (privilege) => privilege.resource.db === dbName && privilege.resource.collection === '',
    );
    expect(onDatabase?.actions).toEqual(
      expect.arrayContaining(['find', 'listCollections', 'listIndexes', 'changeStream']),
    );
    expect(onDatabase?.actions).not.toContain('insert');
  });

  it('lists cluster-wide privileges for root', async () => {
    const authInfo = await connectionStatus(root, true);
    const privileges = authInfo.authenticatedUserPrivileges as Document[];
    const cluster = privileges.find((privilege) => privilege.resource.cluster === true);
    expect(cluster?.actions).toEqual(expect.arrayContaining(['serverStatus', 'replSetGetStatus', 'listDatabases']));
    const anyResource = privileges.find((privilege) => privilege.resource.anyResource === true);
    expect(anyResource?.actions).toEqual(expect.arrayContaining(['validate', 'listCollections']));
    const anyNormal = privileges.find(
      (privilege) => privilege.resource.db === '' && privilege.resource.collection === '',
    );
    expect(anyNormal?.actions).toEqual(expect.arrayContaining(['find', 'insert', 'update', 'remove', 'dropDatabase']));
  });

  it('leaves out privileges unless showPrivileges is set', async () => {
    const authInfo = await connectionStatus(root);
    expect(authInfo.authenticatedUserPrivileges).toBeUndefined();
  });
});

describe('user management', () => {
  it("reports a created user in usersInfo in mongod's shape", async () => {
    const { user } = await createUser(['read', { role: 'readWrite', db: otherDbName }], {
      customData: { team: 'ops' },
    });
    const { users } = await root.db(dbName).command({ usersInfo: user });
    expect(users).toHaveLength(1);
    expect(Object.keys(users[0])).toEqual(['_id', 'userId', 'user', 'db', 'customData', 'roles', 'mechanisms']);
    expect(users[0]).toMatchObject({
      _id: `${dbName}.${user}`,
      user,
      db: dbName,
      customData: { team: 'ops' },
      roles: [
        { role: 'read', db: dbName },
        { role: 'readWrite', db: otherDbName },
      ],
    });
    expect([...users[0].mechanisms].sort()).toEqual(['SCRAM-SHA-1', 'SCRAM-SHA-256']);
  });

  it('adds inherited roles and privileges with showPrivileges, and credentials with showCredentials', async () => {
    const { user } = await createUser(['readWrite']);
    const { users } = await root
      .db(dbName)
      .command({ usersInfo: { user, db: dbName }, showPrivileges: true, showCredentials: true });
    const [entry] = users as Document[];
    expect(entry.inheritedRoles).toEqual([{ role: 'readWrite', db: dbName }]);
    expect(entry.inheritedAuthenticationRestrictions).toEqual([]);
    expect(entry.inheritedPrivileges).toContainEqual({
      resource: { db: dbName, collection: 'system.js' },
      actions: expect.arrayContaining(['find', 'insert']),
    });
    expect(entry.credentials['SCRAM-SHA-1'].iterationCount).toBe(10000);
    expect(entry.credentials['SCRAM-SHA-256'].iterationCount).toBe(15000);
    expect(Object.keys(entry.credentials['SCRAM-SHA-256']).sort()).toEqual([
      'iterationCount',
      'salt',
      'serverKey',
      'storedKey',
    ]);
  });

  it('lists every user of the database with usersInfo: 1', async () => {
    const { user } = await createUser(['read']);
    const { users } = await root.db(dbName).command({ usersInfo: 1 });
    expect(users.map((entry: Document) => entry.user)).toContain(user);
    expect(users.every((entry: Document) => entry.db === dbName)).toBe(true);
  });

  it('refuses to create a user twice with UserAlreadyExists (51003)', async () => {
    const { user } = await createUser(['read']);
    const error = await serverError(root.db(dbName).command({ createUser: user, pwd: 'again', roles: [] }));
    expect(error.code).toBe(51003);
    expect(error.message).toBe(`User "${user}@${dbName}" already exists`);
  });

  it('refuses unknown roles with RoleNotFound (31)', async () => {
    const error = await serverError(root.db(dbName).command({ createUser: 'ghost', pwd: 'x', roles: ['nosuchrole'] }));
    expect(error.code).toBe(31);
    expect(error.message).toBe(`Could not find role: nosuchrole@${dbName}`);
  });

  it('refuses admin-only roles outside admin with RoleNotFound (31)', async () => {
    const error = await serverError(root.db(dbName).command({ createUser: 'ghost', pwd: 'x', roles: ['root'] }));
    expect(error.code).toBe(31);
  });

  it('grants and revokes roles as usersInfo then reports', async () => {
    const { user } = await createUser(['read']);
    await root
      .db(dbName)
      .command({ grantRolesToUser: user, roles: ['dbAdmin', { role: 'clusterMonitor', db: 'admin' }] });
    let { users } = await root.db(dbName).command({ usersInfo: user });
    expect(users[0].roles).toEqual(
      expect.arrayContaining([
        { role: 'read', db: dbName },
        { role: 'dbAdmin', db: dbName },
        { role: 'clusterMonitor', db: 'admin' },
      ]),
    );
    await root.db(dbName).command({ revokeRolesFromUser: user, roles: ['read', 'dbAdmin'] });
    ({ users } = await root.db(dbName).command({ usersInfo: user }));
    expect(users[0].roles).toEqual([{ role: 'clusterMonitor', db: 'admin' }]);
  });

  it('changes the password with updateUser', async () => {
    const { user, pwd } = await createUser(['read']);
    await root.db(dbName).command({ updateUser: user, pwd: 'new-secret' });
    expect((await serverError(connectAs(user, pwd))).code).toBe(18);
    const client = await connectAs(user, 'new-secret');
    expect((await connectionStatus(client)).authenticatedUsers).toEqual([{ user, db: dbName }]);
  });

  it('drops a user, and reports UserNotFound (11) when dropping it again', async () => {
    const { user } = await createUser(['read']);
    await root.db(dbName).command({ dropUser: user });
    expect((await root.db(dbName).command({ usersInfo: user })).users).toEqual([]);
    const error = await serverError(root.db(dbName).command({ dropUser: user }));
    expect(error.code).toBe(11);
    expect(error.codeName).toBe('UserNotFound');
  });
});

describe('rolesInfo', () => {
  it('describes a built-in role by name', async () => {
    const { roles } = await root.db(dbName).command({ rolesInfo: 'read' });
    expect(roles).toEqual([{ db: dbName, role: 'read', roles: [], inheritedRoles: [], isBuiltin: true }]);
  });

  it('shows the privileges of a built-in role with showPrivileges', async () => {
    const { roles } = await root
      .db(dbName)
      .command({ rolesInfo: { role: 'readWrite', db: dbName }, showPrivileges: true });
    const [role] = roles as Document[];
    expect(role.privileges).toEqual(role.inheritedPrivileges);
    expect(role.privileges).toContainEqual({
      resource: { db: dbName, collection: '' },
      actions: expect.arrayContaining(['find', 'insert', 'update', 'remove', 'createIndex']),
    });
  });

  it('lists built-in roles with showBuiltinRoles', async () => {
    const inDb = await root.db(dbName).command({ rolesInfo: 1, showBuiltinRoles: true });
    const names = inDb.roles.map((role: Document) => role.role);
    expect(names).toEqual(expect.arrayContaining(['read', 'readWrite', 'dbAdmin', 'dbOwner', 'userAdmin']));
    expect(names).not.toContain('root');
    const inAdmin = await root.db('admin').command({ rolesInfo: 1, showBuiltinRoles: true });
    expect(inAdmin.roles.map((role: Document) => role.role)).toEqual(
      expect.arrayContaining(['root', 'readAnyDatabase', 'backup', 'restore', 'clusterMonitor']),
    );
  });

  it('lists no roles for a database without user-defined roles', async () => {
    const { roles } = await root.db(dbName).command({ rolesInfo: 1 });
    expect(roles).toEqual([]);
  });
});
