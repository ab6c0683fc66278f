// The server's bearer token on disk: generated on first start (32 random bytes), kept in Ferry's
// config directory in a file only its owner can read (0600), and read back by later starts and by the
// CLI client. The directory is FERRY_CONFIG_DIR, else $XDG_CONFIG_HOME/ferry, else ~/.config/ferry.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

const TOKEN_FILE = 'server-token';

export function ferryConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FERRY_CONFIG_DIR) return env.FERRY_CONFIG_DIR;
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, 'ferry');
  return join(homedir(), '.config', 'ferry');
}

export function tokenPath(configDir: string): string {
  return join(configDir, TOKEN_FILE);
}

export interface StoredToken {
  token: string;
  file: string;
  /** True when this call generated the token (it is then shown once). */
  created: boolean;
  /** True when the file was readable by others and its permissions were narrowed to 0600. */
  permissionsFixed: boolean;
}

/** The stored token, or a new one written with 0600 permissions when there is none. */
export async function loadOrCreateToken(configDir: string): Promise<StoredToken> {
  const file = tokenPath(configDir);
  const existing = await readStoredToken(file);
  if (existing !== undefined)
    return { token: existing, file, created: false, permissionsFixed: await narrowPermissions(file) };
  await mkdir(configDir, { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString('base64url');
  // 'wx' first: never overwrite a token another server wrote a moment ago.
  if (!(await writeToken(file, token, 'wx'))) {
    const raced = await readStoredToken(file);
    if (raced !== undefined) return { token: raced, file, created: false, permissionsFixed: false };
    // The file exists but holds no token (emptied by hand): replace it.
    await writeToken(file, token, 'w');
    await chmod(file, 0o600);
  }
  return { token, file, created: true, permissionsFixed: false };
}

/** False when the file exists and the flag is 'wx'. */
async function writeToken(file: string, token: string, flag: 'wx' | 'w'): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, flag, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.writeFile(`${token}\n`);
  } finally {
    await handle.close();
  }
  return true;
}

/** The token in the file, or undefined when there is no file (or it is empty). */
export async function readStoredToken(file: string): Promise<string | undefined> {
  try {
    const token = (await readFile(file, 'utf8')).trim();
    return token === '' ? undefined : token;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function narrowPermissions(file: string): Promise<boolean> {
  if (process.platform === 'win32') return false;
  const { mode } = await stat(file);
  if ((mode & 0o077) === 0) return false;
  await chmod(file, 0o600);
  return true;
}
