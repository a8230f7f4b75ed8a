// The admin API's guard: `Authorization: Bearer {ADMIN_TOKEN}`, compared in constant time; it runs
// before anything else under /admin so a wrong token learns nothing (docs/protocol.md §6).
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../http/app-env.ts';
import { invalidToken } from '../errors.ts';
import { constantTimeEqual } from '../lib/crypto.ts';

export const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
  const expected = c.env.ADMIN_TOKEN;
  const match = /^Bearer +(\S+)$/i.exec(c.req.header('Authorization') ?? '');
  if (!expected) console.error('ADMIN_TOKEN is not set; the admin API refuses every request');
  if (!expected || !match || !(await constantTimeEqual(match[1]!, expected))) {
    throw invalidToken('A valid admin bearer token is required');
  }
  await next();
});
