// Who may use the API: the holder of the server's token, sent as `Authorization: Bearer <token>` or,
// for the browser UI (EventSource cannot set headers), as the `ferry_token` cookie that
// POST /api/v1/session sets once the operator has typed the token. Comparisons take the same time
// whatever the guess, so the token cannot be found byte by byte.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const SESSION_COOKIE = 'ferry_token';

export class TokenAuth {
  private readonly digest: Buffer;

  constructor(token: string) {
    this.digest = sha256(token);
  }

  /** True when the request carries the token as a bearer token or in the session cookie. */
  allows(req: IncomingMessage): boolean {
    const candidates = [bearerToken(req), cookieValue(req, SESSION_COOKIE)];
    return candidates.some((candidate) => candidate !== undefined && this.matches(candidate));
  }

  matches(candidate: string): boolean {
    // Equal-length digests make timingSafeEqual applicable to candidates of any length.
    return timingSafeEqual(sha256(candidate), this.digest);
  }
}

/** The Set-Cookie value that signs a browser in: not readable by scripts, never sent cross-site. */
export function sessionCookie(token: string): string {
  return `${SESSION_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`;
}

export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;
}

function bearerToken(req: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

function cookieValue(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) {
      try {
        return decodeURIComponent(value.join('='));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
