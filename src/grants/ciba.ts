// The CIBA grant at the token endpoint (CIBA §10.1, §11; contract §4): ask the request's Durable
// Object, which consumes an approved grant exactly once, then mint.
import type { Grant } from './grant.ts';
import { OAuthError, invalidGrant, invalidRequest, noStoreHeaders, unauthorizedClient } from '../errors.ts';
import { CIBA_GRANT_TYPE } from '../clients/store.ts';
import { authRequestStub, requestIdOf } from '../ciba/auth-req-id.ts';
import { getSigningKey } from '../keys/store.ts';
import { sha256 } from '../lib/crypto.ts';
import { nowSeconds } from '../lib/time.ts';
import { mintTokenResponse } from '../tokens/token-response.ts';
import { isCurrentUser } from '../users/store.ts';

export const cibaGrant: Grant = {
  grantType: CIBA_GRANT_TYPE,
  async handle(c, form, client) {
    if (client.metadata.backchannel_token_delivery_mode === 'push') {
      throw unauthorizedClient('Push clients receive their tokens at their notification endpoint');
    }
    const authReqId = form.get('auth_req_id');
    if (authReqId === undefined) throw invalidRequest('The auth_req_id parameter is required');
    const tenantId = c.get('tenantId');
    // One answer for every invalid auth_req_id, so none reveals whether a request exists (contract §4).
    const refuse = (reason: string) => {
      console.log(JSON.stringify({ event: 'invalid_grant', tenant: tenantId, client_id: client.clientId, reason }));
      return invalidGrant('The auth_req_id is unknown, expired, already redeemed or not issued to this client');
    };
    const requestId = requestIdOf(authReqId);
    if (!requestId) throw refuse('malformed auth_req_id');

    // The key is loaded before the grant is consumed, so a key-store fault cannot burn an approval.
    const key = await getSigningKey(c.env, tenantId);
    const outcome = await authRequestStub(c.env, tenantId, requestId).poll({
      tenantId,
      tenantIncarnation: c.get('tenant').incarnation,
      clientId: client.clientId,
      authReqIdHash: await sha256(authReqId),
    });
    switch (outcome.status) {
      case 'pending':
        throw new OAuthError('authorization_pending', 'The user has not answered yet');
      case 'slow_down':
        throw new OAuthError('slow_down', `Polling too fast; wait at least ${outcome.interval} seconds between polls`);
      case 'denied':
        throw new OAuthError('access_denied', 'The user denied the request', { status: 400 });
      case 'expired':
        throw new OAuthError('expired_token', 'The auth_req_id has expired');
      case 'invalid_grant':
        throw refuse(outcome.reason);
      case 'approved': {
        const { grant } = outcome;
        // The grant is spent either way: a user deleted since the request was opened gets nothing.
        if (grant.userIncarnation !== undefined && !(await isCurrentUser(c.env, tenantId, grant.sub, grant.userIncarnation))) {
          throw refuse('the user was deleted after the request was opened');
        }
        const tokens = await mintTokenResponse(
          key,
          c.get('tenant').settings,
          {
            issuer: c.get('issuer'),
            clientId: grant.clientId,
            sub: grant.sub,
            scope: grant.scope,
            authenticationMethod: grant.approval.authenticationMethod,
            ...(grant.approval.acr ? { acr: grant.approval.acr } : {}),
            ...(grant.approval.amr ? { amr: grant.approval.amr } : {}),
            authTime: grant.approval.authTime,
          },
          nowSeconds(),
        );
        return c.json(tokens, 200, noStoreHeaders);
      }
    }
  },
};
