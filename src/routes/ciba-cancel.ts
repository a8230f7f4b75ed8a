// POST /{tenant}/as/ciba/cancel — cancellation by the RP (docs/protocol.md §8): a client takes back one of
// its pending (or approved but unredeemed) requests. Always 200 `{}`, whatever the auth_req_id was
// (unknown, another client's, decided, redeemed), like RFC 7009, so nothing is revealed. A cancelled
// request is never honoured: polls answer invalid_grant, the callback 410, and the user's device is
// told (the built-in inbox drops it; a webhook gets a signed ciba.authentication_cancelled, one attempt).
import { Hono } from '../http/hono.ts';
import type { AppEnv } from '../http/app-env.ts';
import { invalidRequest, noStoreHeaders } from '../errors.ts';
import { tellCancelled } from '../authenticators/index.ts';
import { authRequestStub, requestIdOf } from '../ciba/auth-req-id.ts';
import { readClientRequest } from '../http/client-auth.ts';
import { route } from '../http/route.ts';
import { sha256 } from '../lib/crypto.ts';

export const cibaCancel = new Hono<AppEnv>();

route(cibaCancel, '/', {
  POST: async (c) => {
    const { form, client } = await readClientRequest(c);
    const authReqId = form.get('auth_req_id');
    if (authReqId === undefined) throw invalidRequest('The auth_req_id parameter is required');
    const tenant = c.get('tenant');
    const requestId = requestIdOf(authReqId);
    if (requestId) {
      const outcome = await authRequestStub(c.env, tenant, requestId).cancel({
        tenantId: tenant.id,
        tenantIncarnation: tenant.incarnation,
        clientId: client.clientId,
        authReqIdHash: await sha256(authReqId),
      });
      // The RP's answer does not wait for the user's device; the platform lets the telling finish.
      if (outcome.status === 'cancelled') {
        tellCancelled(c.env, tenant, outcome, (told) => c.executionCtx.waitUntil(told));
      }
    }
    return c.json({}, 200, noStoreHeaders);
  },
});
