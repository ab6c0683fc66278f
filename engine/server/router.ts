// A small route table: exact paths with `:name` segments, one handler per method. Looking a request up
// tells apart "no such path" (404) from "path exists, wrong method" (405 with an Allow header).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorStyle } from './replies.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
  /** The parsed JSON body (undefined when empty), for routes that take one. */
  body: unknown;
}

export interface Route {
  method: Method;
  /** e.g. `/api/v1/connections/:side` */
  path: string;
  style: ErrorStyle;
  /** False only for the route that signs a browser in. */
  auth?: boolean;
  /** `json`: parsed, bad JSON is a 400; `ignored`: read (the size limit applies) and dropped; `none`: not read. */
  body: 'json' | 'ignored' | 'none';
  handle(context: RouteContext): Promise<void>;
}

export type RouteMatch =
  | { kind: 'route'; route: Route; params: Record<string, string> }
  | { kind: 'wrong-method'; allowed: Method[]; style: ErrorStyle }
  | { kind: 'none' };

export function findRoute(routes: readonly Route[], method: string, pathname: string): RouteMatch {
  const allowed: Method[] = [];
  let style: ErrorStyle = 'api';
  for (const route of routes) {
    const params = matchPath(route.path, pathname);
    if (!params) continue;
    if (route.method === method) return { kind: 'route', route, params };
    allowed.push(route.method);
    style = route.style;
  }
  return allowed.length > 0 ? { kind: 'wrong-method', allowed, style } : { kind: 'none' };
}

function matchPath(pattern: string, pathname: string): Record<string, string> | undefined {
  const expected = pattern.split('/');
  const actual = pathname.split('/');
  if (expected.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, segment] of expected.entries()) {
    if (segment.startsWith(':')) {
      if (actual[index] === '') return undefined;
      const value = decodeSegment(actual[index]);
      if (value === undefined) return undefined;
      params[segment.slice(1)] = value;
    } else if (segment !== actual[index]) {
      return undefined;
    }
  }
  return params;
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
