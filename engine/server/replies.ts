// Writing answers. Two styles of error, one per family of routes: the PCSM-compatible routes answer
// HTTP-level errors as Go's http.Error does (the status text as plain text), Ferry's own API answers
// every error as JSON {ok:false, error: FerryErrorInfo}. JSON bodies are redacted before they leave.
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { FerryErrorInfo } from '../protocol.js';
import { redactUris } from '../redact.js';

export type ErrorStyle = 'pcsm' | 'api';

/** Go's status texts where they differ from Node's, so PCSM routes answer word for word as PCSM does. */
const goStatusText: Record<number, string> = { 413: 'Request Entity Too Large' };

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = `${redactUris(JSON.stringify(body))}\n`;
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(text);
}

export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/** An HTTP-level refusal (400, 401, 403, 404, 405, 413, ...) in the route family's style. */
export function sendFailure(
  res: ServerResponse,
  style: ErrorStyle,
  status: number,
  error: FerryErrorInfo,
  headers: Record<string, string> = {},
): void {
  if (style === 'pcsm') sendText(res, status, `${goStatusText[status] ?? STATUS_CODES[status] ?? 'Error'}\n`, headers);
  else sendJson(res, status, { ok: false, error }, headers);
}
