// The PCSM-compatible endpoints (pcsm.md §2): same paths, bodies, answers and error behaviour as
// PCSM v0.9, so its CLI, scripts and dashboards work against Ferry. A refusal by the engine is a
// logical error: HTTP 200 with {ok:false, error:"<message>"}. Wrong JSON types are a 400, as Go's
// json.Unmarshal makes them; /pause and /finalize ignore their body, as PCSM does.
import { z } from 'zod';
import type { FerryApi, Result } from '../protocol.js';
import { RequestError } from './body.js';
import { pcsmStartBodySchema, mapPcsmStart } from './pcsm-start.js';
import { pcsmStatus } from './pcsm-status.js';
import { withPcsmNames } from './pcsm-metrics.js';
import { sendJson, sendText } from './replies.js';
import type { Route, RouteContext } from './router.js';
import type { ServerLog } from './server-log.js';

export interface PcsmRoutesOptions {
  api: FerryApi;
  /** The server's --metadata-db: PCSM's body has no such field. */
  metadataDb: string;
  /** The Prometheus exposition of the engine's registry. */
  metrics: () => Promise<string>;
  log: ServerLog;
}

const resumeBodySchema = z.object({ fromFailure: z.boolean().nullish() });

export function pcsmRoutes({ api, metadataDb, metrics, log }: PcsmRoutesOptions): Route[] {
  const answer = (context: RouteContext, result: Result<unknown>): void =>
    sendJson(context.res, 200, result.ok ? { ok: true } : { ok: false, error: result.error.message });
  return [
    {
      method: 'GET',
      path: '/status',
      style: 'pcsm',
      body: 'none',
      handle: async ({ res }) => sendJson(res, 200, pcsmStatus(await api.status())),
    },
    {
      method: 'POST',
      path: '/start',
      style: 'pcsm',
      body: 'json',
      handle: async (context) => {
        const body = typed(pcsmStartBodySchema, context.body);
        const mapped = mapPcsmStart(body, metadataDb);
        if (!mapped.ok) return sendJson(context.res, 200, { ok: false, error: mapped.error });
        for (const note of mapped.notes) log.warn(note);
        answer(context, await api.start(mapped.options));
      },
    },
    {
      method: 'POST',
      path: '/pause',
      style: 'pcsm',
      body: 'ignored',
      handle: async (context) => answer(context, await api.pause()),
    },
    {
      method: 'POST',
      path: '/resume',
      style: 'pcsm',
      body: 'json',
      handle: async (context) => {
        const body = typed(resumeBodySchema, context.body);
        answer(context, await api.resume({ fromFailure: body.fromFailure ?? false }));
      },
    },
    {
      method: 'POST',
      path: '/finalize',
      style: 'pcsm',
      body: 'ignored',
      handle: async (context) => answer(context, await api.finalize()),
    },
    {
      method: 'GET',
      path: '/metrics',
      style: 'pcsm',
      body: 'none',
      handle: async ({ res }) =>
        sendText(res, 200, withPcsmNames(await metrics()), {
          'Content-Type': 'text/plain; version=0.0.4; charset=utf-8',
        }),
    },
  ];
}

/** The body as the schema types it; an empty body is `{}`; wrong JSON types are a 400. */
function typed<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RequestError(400, `${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  return parsed.data;
}
