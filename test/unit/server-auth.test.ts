import { mkdtemp, rm, stat, writeFile, chmod } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionCookie, TokenAuth } from '../../engine/server/auth.js';
import { isLoopbackHost } from '../../engine/server/loopback.js';
import { crossSiteReason, hostAllowed } from '../../engine/server/same-origin.js';
import { ferryConfigDir, loadOrCreateToken, tokenPath } from '../../engine/server/token-store.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-auth-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function request(method: string, headers: Record<string, string>): IncomingMessage {
  return { method, headers } as unknown as IncomingMessage;
}

describe('the token file', () => {
  it('is generated once with 0600 permissions and read back afterwards', async () => {
    const configDir = join(dir, 'fresh', 'ferry');
    const first = await loadOrCreateToken(configDir);
    expect(first.created).toBe(true);
    expect(first.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.file).toBe(tokenPath(configDir));
    expect((await stat(first.file)).mode & 0o777).toBe(0o600);
    expect((await stat(configDir)).mode & 0o777).toBe(0o700);
    const second = await loadOrCreateToken(configDir);
    expect(second).toEqual({ token: first.token, file: first.file, created: false, permissionsFixed: false });
  });

  it('narrows a token file others can read back to 0600', async () => {
    const configDir = join(dir, 'loose');
    const { file } = await loadOrCreateToken(configDir);
    await chmod(file, 0o644);
    expect((await loadOrCreateToken(configDir)).permissionsFixed).toBe(true);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('replaces an empty token file', async () => {
    const configDir = join(dir, 'empty');
    await loadOrCreateToken(configDir);
    await writeFile(tokenPath(configDir), '', { mode: 0o644 });
    const replaced = await loadOrCreateToken(configDir);
    expect(replaced.created).toBe(true);
    expect(replaced.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await stat(replaced.file)).mode & 0o777).toBe(0o600);
    expect((await loadOrCreateToken(configDir)).token).toBe(replaced.token);
  });

  it('lives in FERRY_CONFIG_DIR, else $XDG_CONFIG_HOME/ferry, else ~/.config/ferry', () => {
    expect(ferryConfigDir({ FERRY_CONFIG_DIR: '/x', XDG_CONFIG_HOME: '/y' })).toBe('/x');
    expect(ferryConfigDir({ XDG_CONFIG_HOME: '/y' })).toBe('/y/ferry');
    expect(ferryConfigDir({})).toMatch(/\.config\/ferry$/);
  });
});

describe('token checks', () => {
  const auth = new TokenAuth('s3cret-token');

  it('accepts the token as a bearer token or in the session cookie, nothing else', () => {
    expect(auth.allows(request('GET', { authorization: 'Bearer s3cret-token' }))).toBe(true);
    expect(auth.allows(request('GET', { authorization: 'bearer s3cret-token' }))).toBe(true);
    expect(auth.allows(request('GET', { cookie: `a=1; ${sessionCookie('s3cret-token').split(';')[0]}` }))).toBe(true);
    expect(auth.allows(request('GET', {}))).toBe(false);
    expect(auth.allows(request('GET', { authorization: 'Bearer s3cret-tokeN' }))).toBe(false);
    expect(auth.allows(request('GET', { authorization: 'Basic s3cret-token' }))).toBe(false);
    expect(auth.allows(request('GET', { authorization: 'Bearer s3cret' }))).toBe(false);
    expect(auth.allows(request('GET', { cookie: 'ferry_token=%E0%A4%A' }))).toBe(false);
  });

  it('signs the browser in with a cookie scripts cannot read and other sites never send', () => {
    expect(sessionCookie('abc')).toBe('ferry_token=abc; Path=/; HttpOnly; SameSite=Strict');
  });
});

describe('loopback and cross-site checks', () => {
  it('knows which hosts are loopback', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', 'app.localhost', '::1', '[::1]', '::ffff:127.0.0.1']) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of ['0.0.0.0', '::', '192.168.1.2', '10.0.0.1', 'example.com', '128.0.0.1']) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });

  it('refuses state-changing requests from another origin, and accepts scripts (no Origin)', () => {
    expect(crossSiteReason(request('POST', { host: '127.0.0.1:2242' }))).toBeUndefined();
    expect(
      crossSiteReason(request('POST', { host: '127.0.0.1:2242', origin: 'http://127.0.0.1:2242' })),
    ).toBeUndefined();
    expect(crossSiteReason(request('POST', { host: '127.0.0.1:2242', origin: 'http://evil.example' }))).toMatch(
      /evil.example/,
    );
    expect(crossSiteReason(request('POST', { host: '127.0.0.1:2242', origin: 'null' }))).toMatch(/not an origin/);
    expect(crossSiteReason(request('PUT', { host: '127.0.0.1:2242', 'sec-fetch-site': 'cross-site' }))).toMatch(
      /cross-site/,
    );
    expect(crossSiteReason(request('GET', { host: '127.0.0.1:2242', origin: 'http://evil.example' }))).toBeUndefined();
  });

  it('on a loopback bind, answers only requests addressed to a loopback name (DNS rebinding)', () => {
    expect(hostAllowed(request('GET', { host: '127.0.0.1:2242' }), true)).toBe(true);
    expect(hostAllowed(request('GET', { host: 'localhost:2242' }), true)).toBe(true);
    expect(hostAllowed(request('GET', { host: '[::1]:2242' }), true)).toBe(true);
    expect(hostAllowed(request('GET', { host: 'evil.example:2242' }), true)).toBe(false);
    expect(hostAllowed(request('GET', {}), true)).toBe(false);
    expect(hostAllowed(request('GET', { host: 'ferry.internal:2242' }), false)).toBe(true);
  });
});
