// POST /{tenant}/as/token — the token endpoint (RFC 6749 §3.2, contract §4); grants come from the registry.
import { Hono } from 'hono';
import type { AppEnv } from '../env.ts';
import { OAuthError, invalidRequest, unauthorizedClient } from '../errors.ts';
import { grantsByType } from '../grants/index.ts';
import { authenticateClient } from '../middleware/client-auth.ts';
import { parseForm } from '../middleware/form.ts';
import { route } from '../middleware/methods.ts';

export const token = new Hono<AppEnv>();

route(token, '/', {
  POST: async (c) => {
    const form = await parseForm(c);
    const client = await authenticateClient(c, form);
    form.assertWellFormed();
    const grantType = form.get('grant_type');
    if (grantType === undefined) throw invalidRequest('The grant_type parameter is required');
    const grant = grantsByType.get(grantType);
    if (!grant) throw new OAuthError('unsupported_grant_type', `The grant type ${grantType} is not supported`);
    if (!client.metadata.grant_types.includes(grantType)) {
      throw unauthorizedClient(`This client may not use the ${grantType} grant`);
    }
    return grant.handle(c, form, client);
  },
});
