// Requests from other web sites. The server sends no CORS headers, so a foreign page cannot read
// answers; these checks also keep it from *sending* commands:
// - a request that changes something and carries an Origin (browsers add it) must come from this
//   server's own origin; a browser's Sec-Fetch-Site: cross-site is refused too;
// - while bound to loopback, the Host header must name a loopback address, which defeats DNS
//   rebinding (evil.example resolving to 127.0.0.1 sends Host: evil.example).
// Scripts and the CLI send neither Origin nor Sec-Fetch-Site and are unaffected.
import type { IncomingMessage } from 'node:http';
import { hostnameOf, isLoopbackHost } from './loopback.js';

const safeMethods = new Set(['GET', 'HEAD']);

/** Why the request looks cross-site, or undefined when it is fine. */
export function crossSiteReason(req: IncomingMessage): string | undefined {
  if (safeMethods.has(req.method ?? 'GET')) return undefined;
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      return `the Origin header "${origin}" is not an origin`;
    }
    if (originHost !== req.headers.host) return `requests from ${origin} are not accepted`;
    return undefined;
  }
  if (req.headers['sec-fetch-site'] === 'cross-site') return 'cross-site requests are not accepted';
  return undefined;
}

/** False when the server listens on loopback and the request names another host (DNS rebinding). */
export function hostAllowed(req: IncomingMessage, boundToLoopback: boolean): boolean {
  if (!boundToLoopback) return true;
  const host = req.headers.host;
  return host !== undefined && isLoopbackHost(hostnameOf(host));
}
