// HTTP behaviour that does not depend on the engine: tokens (401), methods (405), bodies (400, 413),
// cross-site requests (403), the browser sign-in, and the static UI. A tiny FerryApi stands in for the
// engine here; everything about migrations is tested against the real engine (server-api, server-pcsm).
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FerryApi, StatusSnapshot } from '../../engine/protocol.js';
import type { FerryServer } from '../../engine/server/http-server.js';
import { call, startTestServer, TEST_TOKEN } from './server-helpers.js';

const idle: StatusSnapshot = {
  state: 'idle',
  phase: 'idle',
  lagSeconds: 0,
  eventsRead: 0,
  eventsApplied: 0,
  eventsPerSecond: 0,
  copyBytesPerSecond: 0,
  initialSync: {
    completed: false,
    cloneCompleted: false,
    estimatedCloneSizeBytes: 0,
    clonedSizeBytes: 0,
    clonedDocuments: 0,
  },
  collections: [],
  at: new Date(0).toISOString(),
};

/** Answers every command with ok and records what it was asked. */
function stubApi(calls: string[]): FerryApi {
  const ok = async (name: string) => {
    calls.push(name);
    return { ok: true as const, value: undefined };
  };
  return {
    setConnection: () => ok('setConnection'),
    testConnection: async () => ({
      ok: false,
      error: { code: 'NOT_CONNECTED', message: 'no source connection is set' },
    }),
    listNamespaces: async () => ({ ok: true, value: [] }),
    preflight: async () => ({ ok: true, value: { checks: [], canStart: true } }),
    start: () => ok('start'),
    pause: () => ok('pause'),
    resume: () => ok('resume'),
    finalize: () => ok('finalize'),
    reset: () => ok('reset'),
    status: async () => idle,
    subscribe: () => () => undefined,
  };
}

let server: FerryServer;
let open: FerryServer;
let dist: string;
const calls: string[] = [];
const twoMiB = Buffer.alloc(2 * 1024 * 1024, 'x');

beforeAll(async () => {
  dist = await mkdtemp(join(tmpdir(), 'ferry-dist-'));
  server = await startTestServer(stubApi(calls), { staticRoot: join(dist, 'missing') });
  open = await startTestServer(stubApi(calls), { token: undefined, staticRoot: dist });
});

afterAll(async () => {
  await server?.close();
  await open?.close();
  await rm(dist, { recursive: true, force: true });
});

describe('tokens', () => {
  it('refuses every route but the UI without the token: 401, plain text on PCSM routes, JSON on the API', async () => {
    for (const [method, path] of [
      ['GET', '/status'],
      ['POST', '/start'],
      ['GET', '/metrics'],
    ]) {
      const reply = await call(server, method, path, { token: null });
      expect(reply.status, path).toBe(401);
      expect(reply.text).toBe('Unauthorized\n');
      expect(reply.headers['www-authenticate']).toBe('Bearer realm="ferry"');
    }
    const api = await call(server, 'GET', '/api/v1/status', { token: null });
    expect(api.status).toBe(401);
    expect(api.json).toMatchObject({
      ok: false,
      error: { code: 'AUTH_REQUIRED', remedy: expect.stringContaining('Bearer') },
    });
    expect((await call(server, 'GET', '/api/v1/events', { token: null })).status).toBe(401);
    expect((await call(server, 'GET', '/', { token: null })).status).toBe(200);
  });

  it('refuses a wrong token with 401, and nothing reaches the engine', async () => {
    const before = calls.length;
    expect((await call(server, 'POST', '/pause', { token: `${TEST_TOKEN}x` })).status).toBe(401);
    expect((await call(server, 'POST', '/api/v1/pause', { token: 'nope' })).status).toBe(401);
    expect(calls.length).toBe(before);
    expect((await call(server, 'GET', '/status')).json).toEqual({
      ok: true,
      state: 'idle',
      lagTimeSeconds: 0,
      eventsRead: 0,
      eventsApplied: 0,
    });
  });

  it('signs a browser in with the token and a cookie, and out again', async () => {
    const wrong = await call(server, 'POST', '/api/v1/session', { token: null, body: { token: 'guess' } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    const signIn = await call(server, 'POST', '/api/v1/session', { token: null, body: { token: TEST_TOKEN } });
    expect(signIn.status).toBe(200);
    const cookie = signIn.headers['set-cookie']?.[0] ?? '';
    expect(cookie).toMatch(/^ferry_token=.+; Path=\/; HttpOnly; SameSite=Strict$/);
    const withCookie = await call(server, 'GET', '/api/v1/status', {
      token: null,
      headers: { cookie: cookie.split(';')[0] },
    });
    expect(withCookie.status).toBe(200);
    expect(withCookie.json).toMatchObject({ state: 'idle' });
    const signOut = await call(server, 'DELETE', '/api/v1/session', { token: null });
    expect(signOut.headers['set-cookie']?.[0]).toMatch(/^ferry_token=; .*Max-Age=0/);
    expect((await call(server, 'POST', '/api/v1/session', { token: null, body: { token: 1 } })).status).toBe(400);
  });

  it('needs no token when started with --no-auth', async () => {
    expect((await call(open, 'GET', '/status', { token: null })).status).toBe(200);
    expect((await call(open, 'POST', '/api/v1/session', { token: null, body: { token: 'anything' } })).json).toEqual({
      ok: true,
      value: { auth: false },
    });
  });
});

describe('methods, bodies and paths', () => {
  it('answers a wrong method with 405 and Allow: plain text on PCSM routes, JSON on the API', async () => {
    const pcsm = await call(server, 'GET', '/start');
    expect(pcsm.status).toBe(405);
    expect(pcsm.text).toBe('Method Not Allowed\n');
    expect(pcsm.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(pcsm.headers.allow).toBe('POST');
    expect((await call(server, 'POST', '/status')).headers.allow).toBe('GET');
    expect((await call(server, 'OPTIONS', '/start')).status).toBe(405);
    const api = await call(server, 'GET', '/api/v1/start');
    expect(api.status).toBe(405);
    expect(api.json).toMatchObject({ ok: false, error: { code: 'METHOD_NOT_ALLOWED' } });
    expect((await call(server, 'POST', '/api/v1/session')).headers.allow).toBeUndefined();
    expect((await call(server, 'GET', '/api/v1/session')).headers.allow).toBe('POST, DELETE');
  });

  it('answers bad JSON with 400, and wrong JSON types on PCSM routes too (as Go does)', async () => {
    const pcsm = await call(server, 'POST', '/start', { body: '{"includeNamespaces": [' });
    expect(pcsm.status).toBe(400);
    expect(pcsm.text).toBe('Bad Request\n');
    expect((await call(server, 'POST', '/start', { body: { includeNamespaces: 'shop.*' } })).status).toBe(400);
    expect((await call(server, 'POST', '/resume', { body: { fromFailure: 'yes' } })).status).toBe(400);
    const api = await call(server, 'POST', '/api/v1/start', { body: '{nope' });
    expect(api.status).toBe(400);
    expect(api.json).toMatchObject({ ok: false, error: { code: 'INVALID_JSON' } });
  });

  it('refuses misspelt or invalid options on the API with 400 and the field named', async () => {
    const typo = await call(server, 'POST', '/api/v1/start', { body: { includeNamespace: ['shop.*'] } });
    expect(typo.status).toBe(400);
    expect(typo.json).toMatchObject({
      ok: false,
      error: { code: 'INVALID_OPTIONS', message: expect.stringContaining('includeNamespace') },
    });
    const pattern = await call(server, 'POST', '/api/v1/preflight', { body: { includeNamespaces: ['nodot'] } });
    expect(pattern.json).toMatchObject({
      error: { message: expect.stringMatching(/^includeNamespaces.0: .*db\.collection/) },
    });
    expect((await call(server, 'POST', '/api/v1/start', { body: [1] })).status).toBe(400);
    expect((await call(server, 'PUT', '/api/v1/connections/middle', { body: { uri: 'mongodb://x' } })).status).toBe(
      400,
    );
    expect((await call(server, 'PUT', '/api/v1/connections/source', { body: {} })).status).toBe(400);
    expect(
      (await call(server, 'PUT', '/api/v1/connections/source', { body: { uri: 'mongodb://x', password: 'p' } })).status,
    ).toBe(400);
    expect((await call(server, 'POST', '/api/v1/resume', { body: { fromFailure: 1 } })).status).toBe(400);
    expect((await call(server, 'POST', '/api/v1/finalize', { body: { verify: 'no' } })).status).toBe(400);
    expect((await call(server, 'GET', '/api/v1/logs?level=loud')).status).toBe(400);
    expect((await call(server, 'GET', '/api/v1/logs?limit=many')).status).toBe(400);
  });

  it('ignores the body of PCSM /pause and /finalize, as PCSM does', async () => {
    calls.length = 0;
    expect((await call(server, 'POST', '/finalize', { body: 'not json at all' })).json).toEqual({ ok: true });
    expect((await call(server, 'POST', '/pause', { body: '{' })).json).toEqual({ ok: true });
    expect(calls).toEqual(['finalize', 'pause']);
  });

  it('refuses bodies over 1 MiB with 413, declared or streamed', async () => {
    const declared = await call(server, 'POST', '/start', { body: twoMiB });
    expect(declared.status).toBe(413);
    expect(declared.text).toBe('Request Entity Too Large\n');
    const streamed = await call(server, 'POST', '/start', { body: twoMiB, chunked: true });
    expect(streamed.status).toBe(413);
    const api = await call(server, 'POST', '/api/v1/start', { body: twoMiB, chunked: true });
    expect(api.status).toBe(413);
    expect(api.json).toMatchObject({ ok: false, error: { code: 'BODY_TOO_LARGE' } });
    expect((await call(server, 'POST', '/pause', { body: twoMiB })).status).toBe(413);
    expect((await call(server, 'GET', '/status', { body: twoMiB })).status).toBe(413);
  });

  it('answers unknown API paths with 404 JSON', async () => {
    const reply = await call(server, 'GET', '/api/v1/nothing');
    expect(reply.status).toBe(404);
    expect(reply.json).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });
});

describe('other web sites', () => {
  it('refuses commands sent from another origin, and accepts the same origin', async () => {
    const foreign = await call(server, 'POST', '/api/v1/pause', { headers: { origin: 'http://evil.example' } });
    expect(foreign.status).toBe(403);
    expect(foreign.json).toMatchObject({ error: { code: 'CROSS_SITE_REQUEST' } });
    expect((await call(server, 'POST', '/pause', { headers: { 'sec-fetch-site': 'cross-site' } })).status).toBe(403);
    const own = new URL(server.url).origin;
    expect((await call(server, 'POST', '/api/v1/pause', { headers: { origin: own } })).status).toBe(200);
  });

  it('answers nothing to a request addressed to another name (DNS rebinding)', async () => {
    const reply = await call(server, 'GET', '/', { headers: { host: `evil.example:${server.port}` } });
    expect(reply.status).toBe(403);
    expect((await call(server, 'GET', '/status', { headers: { host: `localhost:${server.port}` } })).status).toBe(200);
  });

  it('sends no CORS headers', async () => {
    for (const path of ['/status', '/api/v1/status', '/']) {
      const reply = await call(server, 'GET', path, { headers: { origin: 'http://evil.example' } });
      expect(Object.keys(reply.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
    }
  });
});

describe('the static UI', () => {
  beforeAll(async () => {
    await mkdir(join(dist, 'assets'), { recursive: true });
    await writeFile(join(dist, 'index.html'), '<!doctype html><title>Ferry</title>');
    await writeFile(join(dist, 'assets', 'index-3f9a1c2b.js'), 'console.log(1)');
    await writeFile(join(dist, 'assets', 'style-Bx8_kQ2a.css'), 'body{}');
    await writeFile(join(dist, 'favicon.svg'), '<svg/>');
    await writeFile(join(tmpdir(), 'ferry-outside.txt'), 'secret');
    await symlink(join(tmpdir(), 'ferry-outside.txt'), join(dist, 'assets', 'escape.txt'));
  });

  it('says honestly that the UI is not built when dist/index.html is missing', async () => {
    const reply = await call(server, 'GET', '/', { token: null });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(reply.headers['cache-control']).toBe('no-cache');
    expect(reply.text).toContain('not built');
    expect(reply.text).toContain('href="/api/v1/status"');
    expect((await call(server, 'GET', '/monitor', { token: null })).text).toContain('not built');
  });

  it('serves the build with its content types: index.html revalidated, hashed assets cached for a year', async () => {
    const index = await call(open, 'GET', '/', { token: null });
    expect(index.text).toBe('<!doctype html><title>Ferry</title>');
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(index.headers['content-security-policy']).toContain("default-src 'self'");
    const script = await call(open, 'GET', '/assets/index-3f9a1c2b.js', { token: null });
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await call(open, 'GET', '/assets/style-Bx8_kQ2a.css')).headers['content-type']).toBe(
      'text/css; charset=utf-8',
    );
    const icon = await call(open, 'GET', '/favicon.svg');
    expect(icon.headers['content-type']).toBe('image/svg+xml');
    expect(icon.headers['cache-control']).toBe('no-cache');
    expect((await call(open, 'GET', '/monitor/run')).text).toContain('<title>Ferry</title>');
    expect((await call(open, 'GET', '/missing.js')).status).toBe(404);
    const head = await call(open, 'HEAD', '/');
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
  });

  it('never leaves its directory', async () => {
    for (const path of [
      '/../package.json',
      '/%2e%2e/package.json',
      '/assets/..%2f..%2fpackage.json',
      '/assets/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '/..%5c..%5cpackage.json',
      '/assets/escape.txt',
      '/%00index.html',
      '/assets/',
    ]) {
      const reply = await call(open, 'GET', path);
      expect(reply.status, path).toBe(404);
      expect(reply.text).not.toContain('secret');
    }
    expect((await call(open, 'POST', '/')).status).toBe(405);
  });
});
