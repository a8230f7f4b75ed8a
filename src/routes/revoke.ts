// POST /{tenant}/as/revoke — token revocation (RFC 7009): a client revokes one of its own refresh or
// access tokens, which ends the whole grant. Always 200, whatever the token was (unknown, another
// client's, already revoked), so nothing is revealed. `token_type_hint` is a hint, not a filter.
import { Hono } from '../http/hono.ts';
import type { AppEnv } from '../http/app-env.ts';
import { invalidRequest, noStoreHeaders } from '../errors.ts';
import { presentRefreshToken } from '../tokens/refresh-tokens.ts';
import { grantStub } from '../tokens/family.ts';
import { readClientRequest } from '../http/client-auth.ts';
import { route } from '../http/route.ts';
import { readAccessToken } from '../tokens/verify.ts';

export const revoke = new Hono<AppEnv>();

route(revoke, '/', {
  POST: async (c) => {
    const { form, client } = await readClientRequest(c);
    const token = form.get('token');
    if (token === undefined) throw invalidRequest('The token parameter is required');
    const tenant = c.get('tenant');
    const caller = { tenantId: tenant.id, tenantIncarnation: tenant.incarnation };

    const refresh = await presentRefreshToken(c.env, tenant.id, token);
    if (refresh) {
      const { grantId, ...presented } = refresh;
      await grantStub(c.env, tenant, grantId).revoke(caller, client.clientId, presented);
    } else {
      const claims = await readAccessToken(c.env, tenant, c.get('issuer'), token, { currentOnly: false });
      if (claims && claims.client_id === client.clientId) {
        await grantStub(c.env, tenant, claims.gid).revoke(caller, client.clientId);
      }
    }
    return c.body(null, 200, noStoreHeaders);
  },
});
