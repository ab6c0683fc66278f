// Ferry's own API under /api/v1, for the browser UI and for scripts: every FerryApi command, the
// recent log, the event stream and the browser sign-in. Bodies are checked with engine/protocol.ts's
// schemas (unknown top-level fields are refused: a misspelt `includeNamespaces` must not silently
// migrate everything). Answers are the commands' Result<T> as JSON, with the HTTP status saying what
// kind of answer it is (error-status.ts); GET /status answers the StatusSnapshot itself.
import { z } from 'zod';
import {
  connectionSettingsSchema,
  finalizeOptionsSchema,
  resumeOptionsSchema,
  startOptionsSchema,
  type FerryApi,
  type Result,
  type Side,
} from '../protocol.js';
import { clearedSessionCookie, sessionCookie, type TokenAuth } from './auth.js';
import { RequestError } from './body.js';
import { httpStatusOf } from './error-status.js';
import type { EventHub } from './events.js';
import { isLogLevel, type LogBuffer } from './log-buffer.js';
import { sendFailure, sendJson } from './replies.js';
import type { Route, RouteContext } from './router.js';

export interface ApiRoutesOptions {
  api: FerryApi;
  /** Used when a start or preflight names none: the server's --metadata-db. */
  metadataDb: string;
  hub: EventHub;
  logs: LogBuffer;
  /** Undefined when the server runs with --no-auth. */
  auth: TokenAuth | undefined;
}

const sessionSchema = z.strictObject({ token: z.string() });
const sides: readonly string[] = ['source', 'target'];

export function apiRoutes({ api, metadataDb, hub, logs, auth }: ApiRoutesOptions): Route[] {
  const startOptions = (body: unknown) => valid(startOptionsSchema.strict(), { metadataDb, ...object(body) });
  return [
    command('PUT', '/api/v1/connections/:side', async ({ params, body }) =>
      api.setConnection(side(params.side), valid(connectionSettingsSchema.strict(), body)),
    ),
    command(
      'POST',
      '/api/v1/connections/:side/test',
      async ({ params }) => api.testConnection(side(params.side)),
      'none',
    ),
    command('GET', '/api/v1/namespaces', async () => api.listNamespaces(), 'none'),
    command('POST', '/api/v1/preflight', async ({ body }) => api.preflight(startOptions(body))),
    command('POST', '/api/v1/start', async ({ body }) => api.start(startOptions(body))),
    command('POST', '/api/v1/pause', async () => api.pause(), 'ignored'),
    command('POST', '/api/v1/resume', async ({ body }) =>
      api.resume(valid(resumeOptionsSchema.strict(), object(body))),
    ),
    command('POST', '/api/v1/finalize', async ({ body }) =>
      api.finalize(valid(finalizeOptionsSchema.strict(), object(body))),
    ),
    command('POST', '/api/v1/reset', async () => api.reset(), 'ignored'),
    {
      method: 'GET',
      path: '/api/v1/status',
      style: 'api',
      body: 'none',
      handle: async ({ res }) => sendJson(res, 200, await api.status()),
    },
    {
      method: 'GET',
      path: '/api/v1/logs',
      style: 'api',
      body: 'none',
      handle: async ({ res, url }) => sendJson(res, 200, { ok: true, value: logs.recent(logQuery(url)) }),
    },
    {
      method: 'GET',
      path: '/api/v1/events',
      style: 'api',
      body: 'none',
      handle: ({ req, res }) => hub.attach(req, res),
    },
    {
      method: 'POST',
      path: '/api/v1/session',
      style: 'api',
      auth: false,
      body: 'json',
      handle: async ({ res, body }) => {
        const { token } = valid(sessionSchema, body);
        if (!auth) return sendJson(res, 200, { ok: true, value: { auth: false } });
        if (!auth.matches(token)) {
          return sendFailure(res, 'api', 401, {
            code: 'AUTH_REQUIRED',
            message: 'this is not the server token',
            remedy: 'Copy the token that `ferry serve` printed when it first started, or read it from its token file.',
          });
        }
        sendJson(res, 200, { ok: true, value: { auth: true } }, { 'Set-Cookie': sessionCookie(token) });
      },
    },
    {
      method: 'DELETE',
      path: '/api/v1/session',
      style: 'api',
      auth: false,
      body: 'none',
      handle: async ({ res }) =>
        sendJson(res, 200, { ok: true, value: undefined }, { 'Set-Cookie': clearedSessionCookie() }),
    },
  ];
}

/** A route that runs one FerryApi command and answers its Result. */
function command(
  method: Route['method'],
  path: string,
  run: (context: RouteContext) => Promise<Result<unknown>>,
  body: Route['body'] = 'json',
): Route {
  return {
    method,
    path,
    style: 'api',
    body,
    handle: async (context) => {
      const result = await run(context);
      sendJson(context.res, result.ok ? 200 : httpStatusOf(result.error.code), result);
    },
  };
}

function side(value: string | undefined): Side {
  if (value !== undefined && sides.includes(value)) return value as Side;
  throw new RequestError(400, `"${value}" is not a side: use source or target`);
}

function object(body: unknown): Record<string, unknown> {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new RequestError(400, 'the request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

function valid<T>(schema: z.ZodType<T>, input: unknown): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const message = parsed.error.issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
  throw new RequestError(400, message, 'INVALID_OPTIONS');
}

function logQuery(url: URL): { limit?: number; level?: 'debug' | 'info' | 'warn' | 'error' } {
  const query: { limit?: number; level?: 'debug' | 'info' | 'warn' | 'error' } = {};
  const limit = url.searchParams.get('limit');
  if (limit !== null) {
    if (!/^\d+$/.test(limit)) throw new RequestError(400, `limit=${limit} is not a number of records`);
    query.limit = Number(limit);
  }
  const level = url.searchParams.get('level');
  if (level !== null) {
    if (!isLogLevel(level))
      throw new RequestError(400, `level=${level} is not a level: use debug, info, warn or error`);
    query.level = level;
  }
  return query;
}
