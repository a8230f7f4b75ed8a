// Admin API: the built-in directory's users (docs/protocol.md §6).
import { Hono } from '../../http/hono.ts';
import type { Context } from 'hono';
import type { AppEnv } from '../../http/app-env.ts';
import { invalidRequest, notFound, parseOrThrow } from '../../errors.ts';
import { existingTenant } from '../../http/admin.ts';
import { readJson } from '../../http/form.ts';
import { route } from '../../http/route.ts';
import { nowSeconds } from '../../lib/time.ts';
import { DEVICE_LINK_TTL_S, deviceLinkToken } from '../../device/session.ts';
import { removeUser } from '../../cascades/users.ts';
import { SUB, describeUser, getUser, putUser, userInputSchema } from '../../users/store.ts';

export const users = new Hono<AppEnv>();

// A sign-in link for the device page (issue 12), for the operator to send the user: within
// DEVICE_LINK_TTL_S it opens one session on the tenant's device page (single use, issue 18).
route(users, '/:tenant/users/:sub/device-link', {
  POST: async (c) => {
    const tenant = await existingTenant(c);
    const user = await getUser(c.env, tenant, subParam(c));
    if (!user) throw notFound('Unknown user');
    if (tenant.settings.authenticator.type !== 'builtin' || tenant.settings.device_page !== true) {
      throw invalidRequest('This tenant has no device page (device_page is off, or the authenticator is not builtin)');
    }
    const now = nowSeconds();
    const token = await deviceLinkToken(c.env, tenant, user, now);
    const origin = c.env.PUBLIC_ORIGIN || new URL(c.req.url).origin;
    return c.json(
      { url: `${origin}/${tenant.id}/device/session?token=${encodeURIComponent(token)}`, expires_at: now + DEVICE_LINK_TTL_S },
      201,
      { 'Cache-Control': 'no-store' },
    );
  },
});

function subParam(c: Context<AppEnv>): string {
  const sub = c.req.param('sub') ?? '';
  if (!SUB.test(sub)) throw invalidRequest('The sub must be 1 to 255 printable ASCII characters');
  return sub;
}

route(users, '/:tenant/users/:sub', {
  PUT: async (c) => {
    const tenant = await existingTenant(c);
    const sub = subParam(c);
    const input = parseOrThrow(userInputSchema, await readJson(c));
    const { created, user } = await putUser(c.env, tenant, sub, input, Date.now());
    return c.json(describeUser(user), created ? 201 : 200);
  },
  GET: async (c) => {
    const tenant = await existingTenant(c);
    const user = await getUser(c.env, tenant, subParam(c));
    if (!user) throw notFound('Unknown user');
    return c.json(describeUser(user));
  },
  DELETE: async (c) => {
    const tenant = await existingTenant(c);
    if (!(await removeUser(c.env, tenant, subParam(c)))) throw notFound('Unknown user');
    return c.body(null, 204);
  },
});
