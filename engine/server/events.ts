// GET /api/v1/events: the engine's events as server-sent events, for the browser UI (EventSource).
// One subscription to the engine feeds every connected client and the recent-log buffer:
// - `status`: a StatusSnapshot, at most about twice a second (the newest one wins), and one at once
//   when a client connects so a fresh page has something to show;
// - `state`: every state change, as it happens;
// - `log`: every log record (the engine's and the server's);
// - a `: keep-alive` comment every 15 s, so proxies and browsers keep an idle stream open;
// - on shutdown a final `bye` event, then the stream ends (EventSource would reconnect after `retry`).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EngineEvent, FerryApi, LogRecord, StatusSnapshot } from '../protocol.js';
import type { LogBuffer } from './log-buffer.js';
import { redactUris } from '../redact.js';

export interface EventHubOptions {
  statusIntervalMs?: number;
  keepAliveMs?: number;
}

export class EventHub {
  private readonly clients = new Set<ServerResponse>();
  private readonly unsubscribe: () => void;
  private readonly keepAlive: NodeJS.Timeout;
  private readonly statusIntervalMs: number;
  private lastStatusAt = 0;
  private pendingStatus: StatusSnapshot | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly api: FerryApi,
    private readonly logs: LogBuffer,
    options: EventHubOptions = {},
  ) {
    this.statusIntervalMs = options.statusIntervalMs ?? 500;
    this.unsubscribe = api.subscribe((event) => this.onEngineEvent(event));
    this.keepAlive = setInterval(() => this.broadcast(': keep-alive\n\n'), options.keepAliveMs ?? 15_000);
    this.keepAlive.unref();
  }

  /** How many event streams are open. */
  get size(): number {
    return this.clients.size;
  }

  /** A log record of the server's own, for the buffer and the streams. */
  log(record: LogRecord): void {
    this.logs.push(record);
    this.broadcast(frame('log', record));
  }

  /** Turns the response into an event stream until the client goes away or the hub closes. */
  async attach(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      // Tells nginx-style proxies not to buffer the stream.
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    this.clients.add(res);
    const drop = (): void => {
      this.clients.delete(res);
    };
    req.once('close', drop);
    res.once('close', drop);
    const status = await this.api.status();
    if (this.clients.has(res)) res.write(frame('status', status));
  }

  /** Ends every stream with a `bye` event and stops listening to the engine. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    clearInterval(this.keepAlive);
    if (this.statusTimer) clearTimeout(this.statusTimer);
    for (const client of this.clients) client.end(frame('bye', { reason: 'the server is shutting down' }));
    this.clients.clear();
  }

  private onEngineEvent(event: EngineEvent): void {
    switch (event.type) {
      case 'status':
        this.throttleStatus(event.status);
        break;
      case 'state':
        this.broadcast(frame('state', { from: event.from, to: event.to, at: event.at }));
        break;
      case 'log':
        this.log(event.record);
        break;
    }
  }

  /** Sends the newest snapshot at most once per interval; one arriving sooner waits for the next slot. */
  private throttleStatus(status: StatusSnapshot): void {
    if (this.clients.size === 0) return;
    this.pendingStatus = status;
    if (this.statusTimer) return;
    const wait = Math.max(0, this.lastStatusAt + this.statusIntervalMs - Date.now());
    this.statusTimer = setTimeout(() => {
      this.statusTimer = undefined;
      const pending = this.pendingStatus;
      this.pendingStatus = undefined;
      this.lastStatusAt = Date.now();
      if (pending) this.broadcast(frame('status', pending));
    }, wait);
    this.statusTimer.unref();
  }

  private broadcast(text: string): void {
    for (const client of this.clients) client.write(text);
  }
}

/** One SSE frame; the JSON never contains a raw newline, so one `data:` line carries it. */
function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${redactUris(JSON.stringify(data))}\n\n`;
}
