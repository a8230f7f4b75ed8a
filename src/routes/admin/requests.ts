// Admin API: a request's timeline, read from its Durable Object (docs/protocol.md §6). No token or secret
// is ever part of it: the object holds only hashes, and the timeline holds none of those.
import { Hono } from '../../http/hono.ts';
import type { AppEnv } from '../../http/app-env.ts';
import { invalidRequest, notFound } from '../../errors.ts';
import { authRequestStub, isRequestId } from '../../ciba/auth-req-id.ts';
import { existingTenant } from '../../http/admin.ts';
import { route } from '../../http/route.ts';

export const requests = new Hono<AppEnv>();

route(requests, '/:tenant/requests/:request_id', {
  GET: async (c) => {
    const tenant = await existingTenant(c);
    const requestId = c.req.param('request_id') ?? '';
    if (!isRequestId(requestId)) throw invalidRequest('The request id is not valid');
    const timeline = await authRequestStub(c.env, tenant, requestId).timeline(tenant.id, tenant.incarnation);
    if (!timeline) throw notFound('Unknown request');
    return c.json({
      request_id: requestId,
      status: timeline.state,
      events: timeline.events.map((e) => ({ at: new Date(e.at).toISOString(), event: e.event, ...e.detail })),
    });
  },
});
