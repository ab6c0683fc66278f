// Who is logged in on a connection. mongod allows one user per connection (re-authenticating as the
// same user is fine) and re-reads the user on every command, so granted or revoked roles apply at
// once and a dropped user is logged out.
import type { ConnectionState } from '../connection-state.js';
import { CommandError } from '../errors.js';
import type { Sandbox } from '../sandbox.js';
import type { StoredUser } from './users.js';

export function logIn(connection: ConnectionState, user: StoredUser): void {
  const previous = connection.user;
  if (previous && (previous.name !== user.user || previous.db !== user.db)) {
    const previousName = `${previous.name}@${previous.db}`;
    if (previous.db !== user.db)
      throw new CommandError(
        5626701,
        `Each client connection may only be authenticated once. Previously authenticated as: ${previousName}`,
      );
    throw new CommandError(
      5626702,
      `Client has attempted to authenticate on multiple databases.Already authenticated as: ${previousName}`,
    );
  }
  connection.user = { name: user.user, db: user.db, roles: user.roles.map((role) => ({ ...role })) };
}

/** The connection's user as the store holds it now; forgets a user that was dropped meanwhile. */
export function currentUser(sandbox: Sandbox, connection: ConnectionState): StoredUser | undefined {
  const loggedIn = connection.user;
  if (!loggedIn) return undefined;
  const user = sandbox.users.get(loggedIn.name, loggedIn.db);
  if (!user) {
    connection.user = undefined;
    return undefined;
  }
  loggedIn.roles = user.roles.map((role) => ({ ...role }));
  return user;
}
