// POST /{tenant}/as/token — the token endpoint (RFC 6749 §3.2, docs/protocol.md §4); grants come from the
// registry, take a plain context and return the token response this route renders.
import { Hono } from '../http/hono.ts';
import type { AppEnv } from '../http/app-env.ts';
import { invalidRequest, noStoreHeaders, unauthorizedClient, unsupportedGrantType } from '../errors.ts';
import { grantsByType } from '../grants/index.ts';
import { readClientRequest } from '../http/client-auth.ts';
import { route } from '../http/route.ts';
import { dpopNonceHeader, readDpopProof } from '../http/dpop.ts';
import { presentedCertificate } from '../http/client-cert.ts';

export const token = new Hono<AppEnv>();

route(token, '/', {
  POST: async (c) => {
    const { form, client } = await readClientRequest(c);
    const grantType = form.get('grant_type');
    if (grantType === undefined) throw invalidRequest('The grant_type parameter is required');
    const grant = grantsByType.get(grantType);
    if (!grant) throw unsupportedGrantType([...grantsByType.keys()]);
    if (!client.metadata.grant_types.includes(grantType)) {
      throw unauthorizedClient(`This client may not use the ${grantType} grant`);
    }
    const [dpop, certificate] = await Promise.all([readDpopProof(c), presentedCertificate(c)]);
    const sender = { ...(dpop ? { dpop } : {}), ...(certificate ? { certificate } : {}) };
    const tokens = await grant.handle({ env: c.env, tenant: c.get('tenant'), issuer: c.get('issuer'), client, form, sender });
    return c.json(tokens, 200, { ...noStoreHeaders, ...(await dpopNonceHeader(c)) });
  },
});
