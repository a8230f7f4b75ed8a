// The admin API's guard: `Authorization: Bearer {ADMIN_TOKEN}`, compared in constant time; it runs
// before anything else under /admin so a wrong token learns nothing (contract §6).
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../../env.ts';
import { invalidRequest, invalidToken } from '../../errors.ts';
import { constantTimeEqual } from '../../lib/crypto.ts';
import { mediaTypeOf, readBody } from '../../middleware/form.ts';

export const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
  const expected = c.env.ADMIN_TOKEN;
  const match = /^Bearer +(\S+)$/i.exec(c.req.header('Authorization') ?? '');
  if (!expected) console.error('ADMIN_TOKEN is not set; the admin API refuses every request');
  if (!expected || !match || !(await constantTimeEqual(match[1]!, expected))) {
    throw invalidToken('A valid admin bearer token is required');
  }
  await next();
});

/** Reads a JSON object body (64 KiB limit). */
export async function readJson(c: Context<AppEnv>): Promise<unknown> {
  const text = await readBody(c);
  if (mediaTypeOf(c) !== 'application/json') throw invalidRequest('The body must be application/json');
  try {
    return JSON.parse(text);
  } catch {
    throw invalidRequest('The body is not valid JSON');
  }
}
