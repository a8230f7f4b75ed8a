// Declares the methods a path takes; any other method gets 405 invalid_request with Allow (docs/protocol.md §1).
import type { Handler, Hono } from 'hono';
import type { AppEnv } from './app-env.ts';
import { methodNotAllowed } from '../errors.ts';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export function route(app: Hono<AppEnv>, path: string, handlers: Partial<Record<Method, Handler<AppEnv>>>): void {
  const allowed = Object.keys(handlers) as Method[];
  for (const method of allowed) app.on(method, path, handlers[method]!);
  const allow = allowed.flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m]));
  app.all(path, (c) => {
    throw methodNotAllowed(c.req.method, allow);
  });
}
