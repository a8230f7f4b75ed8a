// POST /{tenant}/as/introspect — token introspection (RFC 7662), for the tenant's authenticated
// clients (its resource servers): an access token or refresh token of this tenant whose grant still
// stands (its user and client included) is active; anything else, another tenant's included, is only
// `{"active": false}`.
// `token_type_hint` is a hint, not a filter.
import { Hono } from '../http/hono.ts';
import type { AppEnv } from '../http/app-env.ts';
import { invalidRequest, noStoreHeaders } from '../errors.ts';
import { grantStanding } from '../tokens/standing.ts';
import { grantIdOfRefreshToken } from '../tokens/refresh-tokens.ts';
import { grantStub } from '../tokens/family.ts';
import { readClientRequest } from '../http/client-auth.ts';
import { route } from '../http/route.ts';
import { sha256 } from '../lib/crypto.ts';
import { activeGrantOf, readAccessToken } from '../tokens/verify.ts';
import { resourceAudience } from '../tokens/token-response.ts';
import { toEpochSeconds } from '../lib/time.ts';

export const introspect = new Hono<AppEnv>();

route(introspect, '/', {
  POST: async (c) => {
    const { form } = await readClientRequest(c);
    const token = form.get('token');
    if (token === undefined) throw invalidRequest('The token parameter is required');
    const tenant = c.get('tenant');
    const issuer = c.get('issuer');
    const inactive = () => c.json({ active: false }, 200, noStoreHeaders);

    const refreshGrantId = grantIdOfRefreshToken(token);
    if (refreshGrantId) {
      const grant = await grantStub(c.env, tenant, refreshGrantId).isCurrentRefresh(
        { tenantId: tenant.id, tenantIncarnation: tenant.incarnation },
        await sha256(token),
      );
      // RFC 7662 §2.2: the same rule as for access tokens, so a deleted user's or client's is inactive.
      if (!grant || !(await grantStanding(c.env, tenant, grant))) return inactive();
      return c.json(
        {
          active: true,
          token_type: 'refresh_token',
          scope: grant.consent.scope,
          client_id: grant.clientId,
          sub: grant.sub,
          iss: issuer,
          exp: toEpochSeconds(grant.expiresAt),
          ...(grant.consent.resource ? { aud: resourceAudience(grant.consent.resource) } : {}),
          ...(grant.consent.bindingMessage !== undefined ? { binding_message: grant.consent.bindingMessage } : {}),
          ...(grant.consent.authorizationDetails ? { authorization_details: grant.consent.authorizationDetails } : {}),
        },
        200,
        noStoreHeaders,
      );
    }
    const claims = await readAccessToken(c.env, tenant, issuer, token);
    if (!claims || !(await activeGrantOf(c.env, tenant, claims))) return inactive();
    return c.json(
      {
        active: true,
        // RFC 9449 §6.2, RFC 8705 §3.2: a bound token's cnf, and DPoP as the type of a DPoP-bound one.
        token_type: typeof (claims.cnf as { jkt?: unknown } | undefined)?.jkt === 'string' ? 'DPoP' : 'Bearer',
        ...(claims.cnf !== undefined ? { cnf: claims.cnf } : {}),
        scope: claims.scope,
        client_id: claims.client_id,
        sub: claims.sub,
        iss: claims.iss,
        aud: claims.aud,
        exp: claims.exp,
        iat: claims.iat,
        jti: claims.jti,
        ...(typeof claims.binding_message === 'string' ? { binding_message: claims.binding_message } : {}),
        // RFC 9396 §9.2: the authorization details the token carries.
        ...(claims.authorization_details !== undefined ? { authorization_details: claims.authorization_details } : {}),
      },
      200,
      noStoreHeaders,
    );
  },
});
