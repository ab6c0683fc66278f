// The built UI (the renderer's dist/) at `/`, without a token: the page itself holds no data, and signs
// in through POST /api/v1/session. Rules:
// - only files under the root are served: `..`, encoded or not, NUL bytes and symlinks that lead out
//   are refused; directories are never listed;
// - index.html and other unhashed files: `Cache-Control: no-cache` (always revalidated, so a new
//   build shows at once); hashed build assets (`assets/name-3f9a1c2b.js`): cached for a year;
// - paths without a file extension that match no file get index.html (the UI's own routes);
// - with no build present, a short page says so and points at /api/v1/status.
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sendText } from './replies.js';

/** dist/ at the top of the repository, where the renderer's build puts the UI. */
export const defaultStaticRoot = fileURLToPath(new URL('../../dist/', import.meta.url));

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
};

/** What a page of the UI may load: only this server, no frames, no inline scripts. */
const uiPolicy =
  "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
const hashedName = /[.-][A-Za-z0-9_]{8,}\.[a-z0-9]+$/;

export async function serveStatic(
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
  root: string,
): Promise<void> {
  const relative = safeRelativePath(pathname);
  if (relative === undefined) return sendText(res, 404, 'Not Found\n');
  const file = await existingFile(root, relative === '' ? 'index.html' : relative);
  if (file) return sendFile(req, res, file, relative);
  if (extname(relative) === '') {
    const index = await existingFile(root, 'index.html');
    if (index) return sendFile(req, res, index, 'index.html');
    return sendNotBuiltPage(req, res);
  }
  sendText(res, 404, 'Not Found\n');
}

/** The path below the root without its leading slash, or undefined when it tries to leave the root. */
function safeRelativePath(pathname: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const segments = decoded.split('/').filter((segment) => segment !== '');
  if (segments.some((segment) => segment === '..' || segment === '.')) return undefined;
  return segments.join('/') + (decoded.endsWith('/') && segments.length > 0 ? '/index.html' : '');
}

/** The real path of a regular file under the root, or undefined. */
async function existingFile(root: string, relative: string): Promise<string | undefined> {
  try {
    const realRoot = await realpath(root);
    const real = await realpath(join(realRoot, relative));
    if (!real.startsWith(realRoot + sep)) return undefined; // a symlink that leads out
    return (await stat(real)).isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}

async function sendFile(req: IncomingMessage, res: ServerResponse, file: string, relative: string): Promise<void> {
  const type = contentTypes[extname(file).toLowerCase()] ?? 'application/octet-stream';
  const cacheable = relative.startsWith('assets/') && hashedName.test(relative);
  const headers: Record<string, string | number> = {
    'Content-Type': type,
    'Content-Length': (await stat(file)).size,
    'Cache-Control': cacheable ? 'public, max-age=31536000, immutable' : 'no-cache',
  };
  if (type.startsWith('text/html')) headers['Content-Security-Policy'] = uiPolicy;
  res.writeHead(200, headers);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  await new Promise<void>((resolve) => {
    createReadStream(file)
      .on('error', () => {
        res.destroy();
        resolve();
      })
      .on('end', resolve)
      .pipe(res);
  });
}

function sendNotBuiltPage(req: IncomingMessage, res: ServerResponse): void {
  const page = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Ferry</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:4em auto;padding:0 1em;color:#1c2d38}code{background:#eef2f4;padding:0 .2em}</style>
</head>
<body>
<h1>Ferry is running</h1>
<p>The web UI is not built in this copy of Ferry (there is no <code>dist/index.html</code>), so there is nothing to show here yet.</p>
<p>The migration engine and its API work: see <a href="/api/v1/status">/api/v1/status</a> (it asks for the
server's token: <code>curl -H "Authorization: Bearer $FERRY_TOKEN" ...</code>), the PCSM-compatible
<code>/status</code>, or the command line: <code>npm run ferry -- status --pretty</code>.</p>
</body>
</html>
`;
  res.writeHead(200, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(page),
    'Cache-Control': 'no-cache',
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  });
  res.end(req.method === 'HEAD' ? undefined : page);
}
