// The CIBA grant at the token endpoint (CIBA §10.1, §11; docs/protocol.md §4): ask the request's Durable
// Object, which consumes an approved grant exactly once, then mint.
import { grantRefusal, type Grant } from './grant.ts';
import {
  accessDeniedAtToken,
  authorizationPending,
  expiredToken,
  invalidRequest,
  slowDown,
  unauthorizedClient,
} from '../errors.ts';
import { authRequestStub, requestIdOf } from '../ciba/auth-req-id.ts';
import { issueTokens } from '../tokens/issue.ts';
import { confirmationFor } from '../tokens/binding.ts';
import { getSigningKey } from '../keys/store.ts';
import { sha256 } from '../lib/crypto.ts';
import { CIBA_GRANT_TYPE } from '../vocabulary.ts';

export const cibaGrant: Grant = {
  grantType: CIBA_GRANT_TYPE,
  async handle({ env, tenant, issuer, client, form, sender }) {
    if (client.metadata.backchannel_token_delivery_mode === 'push') {
      throw unauthorizedClient('Push clients receive their tokens at their notification endpoint');
    }
    const authReqId = form.get('auth_req_id');
    if (authReqId === undefined) throw invalidRequest('The auth_req_id parameter is required');
    const refuse = grantRefusal({ tenant, client }, 'The auth_req_id is unknown, expired, already redeemed or not issued to this client');
    const requestId = requestIdOf(authReqId);
    if (!requestId) throw refuse('malformed auth_req_id');

    // The binding is decided and the key loaded before the grant is consumed, so neither a missing
    // proof nor a key-store fault can burn an approval.
    const confirmation = confirmationFor(client, sender, issuer);
    const key = await getSigningKey(env, tenant);
    const outcome = await authRequestStub(env, tenant, requestId).poll({
      tenantId: tenant.id,
      tenantIncarnation: tenant.incarnation,
      clientId: client.clientId,
      authReqIdHash: await sha256(authReqId),
    }, (client.metadata.backchannel_long_poll_wait ?? 0) * 1000);
    switch (outcome.status) {
      case 'pending':
      case 'held': // never returned by the object, which answers a held poll once it resumes
        throw authorizationPending();
      case 'slow_down':
        throw slowDown(outcome.interval);
      case 'denied':
        throw accessDeniedAtToken();
      case 'expired':
        throw expiredToken('The auth_req_id has expired');
      case 'invalid_grant':
        throw refuse(outcome.reason);
      case 'approved': {
        // The approval is spent either way: one no longer good to issue for gets nothing.
        const issued = await issueTokens({ env, tenant, issuer, client, key, now: Date.now(), confirmation }, outcome.grant);
        if (issued.status === 'refused') throw refuse(issued.reason);
        return issued.tokens;
      }
    }
  },
};
