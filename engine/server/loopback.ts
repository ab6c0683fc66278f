// Which addresses only this machine can reach. `--no-auth` is allowed only on such a bind, and while
// bound there the server answers only requests addressed to such a name (a web page that rebinds its
// own DNS name to 127.0.0.1 must not reach the API: see same-origin.ts).
import { isIP } from 'node:net';

/** True for localhost (and *.localhost), 127.0.0.0/8, ::1 and IPv4-mapped 127.x; brackets allowed. */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  if (isIP(name) === 6) return name === '::1' || /^::ffff:127\./.test(name) || /^0*:0*:0*:0*:0*:0*:0*:0*1$/.test(name);
  return false;
}

/** The host part of a Host header or URL authority ("[::1]:2242" → "[::1]", "localhost:80" → "localhost"). */
export function hostnameOf(authority: string): string {
  if (authority.startsWith('[')) return authority.slice(0, authority.indexOf(']') + 1);
  const colon = authority.lastIndexOf(':');
  return colon === -1 ? authority : authority.slice(0, colon);
}
