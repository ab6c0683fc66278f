// The headless server: node:http, one route table (PCSM-compatible routes, Ferry's API) and the static
// UI for everything else. Every request goes through the same steps, in this order:
//   Host check (DNS rebinding) → route lookup (404) → token (401) → method (405) → cross-site check
//   (403) → body (413 over 1 MiB, 400 bad JSON) → handler.
// The token comes before the method so that nothing but the static UI answers a stranger usefully.
// The engine is reached only through the FerryApi given (an EngineHost in `ferry serve`).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { FerryApi } from '../protocol.js';
import { apiRoutes } from './api-routes.js';
import { TokenAuth } from './auth.js';
import { MAX_BODY_BYTES, parseJson, readBody, RequestError } from './body.js';
import { EventHub } from './events.js';
import { LogBuffer } from './log-buffer.js';
import { isLoopbackHost } from './loopback.js';
import { pcsmRoutes } from './pcsm-routes.js';
import { sendFailure, sendText, type ErrorStyle } from './replies.js';
import { findRoute, type Route } from './router.js';
import { crossSiteReason, hostAllowed } from './same-origin.js';
import type { ServerLog } from './server-log.js';
import { defaultStaticRoot, serveStatic } from './static.js';

export interface FerryServerOptions {
  api: FerryApi;
  /** The engine's Prometheus exposition (EngineHost.metrics); this process's own metrics when unset. */
  metrics?: () => Promise<string>;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** The bearer token; undefined runs without authentication (allowed only on loopback: see config.ts). */
  token: string | undefined;
  /** The metadata database used when a start names none. */
  metadataDb: string;
  log: ServerLog;
  /** The built UI; dist/ of the repository unless set. */
  staticRoot?: string;
  /** Spacing of `status` events on the event stream (about twice a second by default). */
  statusIntervalMs?: number;
  keepAliveMs?: number;
}

export interface FerryServer {
  /** http://host:port/ as a browser would use it. */
  readonly url: string;
  readonly port: number;
  /** How many event streams are open (diagnostics, tests). */
  eventStreams(): number;
  /** Ends the event streams, stops accepting connections and waits for open requests (at most a few seconds). */
  close(): Promise<void>;
}

const CLOSE_GRACE_MS = 3000;

export async function startFerryServer(options: FerryServerOptions): Promise<FerryServer> {
  const { api, log } = options;
  const auth = options.token === undefined ? undefined : new TokenAuth(options.token);
  const logs = new LogBuffer();
  const hub = new EventHub(api, logs, { statusIntervalMs: options.statusIntervalMs, keepAliveMs: options.keepAliveMs });
  const stopFeedingHub = log.onRecord((record) => hub.log(record));
  const routes: Route[] = [
    ...pcsmRoutes({ api, metadataDb: options.metadataDb, metrics: options.metrics ?? ownMetrics(), log }),
    ...apiRoutes({ api, metadataDb: options.metadataDb, hub, logs, auth }),
  ];
  const boundToLoopback = isLoopbackHost(options.host);
  const staticRoot = options.staticRoot ?? defaultStaticRoot;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    if (!hostAllowed(req, boundToLoopback)) {
      return sendText(
        res,
        403,
        'Forbidden: this server answers only requests addressed to a loopback name such as localhost\n',
      );
    }
    const match = findRoute(routes, method, url.pathname);
    if (match.kind === 'none') {
      if (url.pathname === '/api' || url.pathname.startsWith('/api/')) {
        return sendFailure(res, 'api', 404, { code: 'NOT_FOUND', message: `no API route ${url.pathname}` });
      }
      if (method !== 'GET' && method !== 'HEAD')
        return sendText(res, 405, 'Method Not Allowed\n', { Allow: 'GET, HEAD' });
      return serveStatic(req, res, url.pathname, staticRoot);
    }
    const style: ErrorStyle = match.kind === 'route' ? match.route.style : match.style;
    const needsToken = match.kind === 'wrong-method' || match.route.auth !== false;
    if (auth && needsToken && !auth.allows(req)) {
      return sendFailure(
        res,
        style,
        401,
        {
          code: 'AUTH_REQUIRED',
          message: 'a valid token is required',
          remedy:
            'Send Authorization: Bearer <token>; ferry serve prints the token when it creates it and says where it is stored.',
        },
        { 'WWW-Authenticate': 'Bearer realm="ferry"' },
      );
    }
    if (match.kind === 'wrong-method') {
      const allowed = match.allowed.join(', ');
      return sendFailure(
        res,
        style,
        405,
        { code: 'METHOD_NOT_ALLOWED', message: `use ${allowed}` },
        { Allow: allowed },
      );
    }
    const crossSite = crossSiteReason(req);
    if (crossSite) return sendFailure(res, style, 403, { code: 'CROSS_SITE_REQUEST', message: crossSite });
    const { route, params } = match;
    try {
      let body: unknown;
      // As PCSM does, a declared oversized body is refused on every route, even one that reads none.
      if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES)
        throw new RequestError(413, 'the request body is larger than 1 MiB');
      if (route.body !== 'none') {
        const raw = await readBody(req);
        if (route.body === 'json') body = parseJson(raw);
      }
      await route.handle({ req, res, url, params, body });
    } catch (error) {
      if (error instanceof RequestError) {
        return sendFailure(
          res,
          style,
          error.status,
          { code: error.code, message: error.message },
          error.status === 413 ? { Connection: 'close' } : {},
        );
      }
      log.error('request failed', {
        method,
        path: url.pathname,
        error: error instanceof Error ? error.message : String(error),
      });
      if (!res.headersSent)
        sendFailure(res, style, 500, { code: 'UNEXPECTED', message: 'the server failed to answer; see its log' });
      else res.destroy();
    }
  };

  const server = createServer((req, res) => {
    res.once('finish', () => logRequest(log, req, res));
    void handle(req, res);
  });
  // PCSM's limits: 3 s to send the headers, 30 s for the whole request.
  server.headersTimeout = 3000;
  server.requestTimeout = 30_000;
  await listen(server, options.port, options.host);
  const port = (server.address() as AddressInfo).port;
  const hostInUrl = options.host.includes(':') && !options.host.startsWith('[') ? `[${options.host}]` : options.host;

  return {
    url: `http://${hostInUrl}:${port}/`,
    port,
    eventStreams: () => hub.size,
    async close() {
      stopFeedingHub();
      hub.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const grace = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
      await closed;
      clearTimeout(grace);
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host.replace(/^\[(.*)\]$/, '$1'), () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Node's process metrics from this process, for an API that brings no registry of its own. */
function ownMetrics(): () => Promise<string> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'ferry_' });
  return () => registry.metrics();
}

/** Commands at info (they change something); reads, polls and static files at debug. */
function logRequest(log: ServerLog, req: IncomingMessage, res: ServerResponse): void {
  const method = req.method ?? 'GET';
  const path = (req.url ?? '/').split('?')[0];
  const fields = { method, path, status: res.statusCode };
  if (method === 'GET' || method === 'HEAD') log.debug('request', fields);
  else log.info('request', fields);
}
