// The refresh_token grant (RFC 6749 §6, RFC 9700 §4.14; docs/protocol.md §4): the grant's object rotates
// the refresh token on every use and revokes the grant when a spent one comes back; the scope may
// narrow, never widen; a new access token, refresh token and ID token each time.
import { grantRefusal, type Grant } from './grant.ts';
import { invalidDpopProof, invalidRequest, invalidScope } from '../errors.ts';
import { confirmationFor } from '../tokens/binding.ts';
import { getSigningKey } from '../keys/store.ts';
import { sha256 } from '../lib/crypto.ts';
import { familyToMint, mintTokenResponse } from '../tokens/token-response.ts';
import { plainToken } from '../lib/error-text.ts';
import { grantStanding } from '../tokens/standing.ts';
import { MAX_GENERATION, mintRefreshToken, presentRefreshToken } from '../tokens/refresh-tokens.ts';
import { grantStub } from '../tokens/family.ts';
import { SCOPE_TOKEN } from '../vocabulary.ts';


export const refreshTokenGrant: Grant = {
  grantType: 'refresh_token',
  async handle({ env, tenant, issuer, client, form, sender }) {
    const refreshToken = form.get('refresh_token');
    if (refreshToken === undefined) throw invalidRequest('The refresh_token parameter is required');
    const requested = form.get('scope')?.split(' ').filter((s) => s !== '');
    if (requested && (requested.length === 0 || !requested.every((s) => SCOPE_TOKEN.test(s)))) {
      throw invalidRequest('The scope parameter is malformed');
    }
    const refuse = grantRefusal({ tenant, client }, 'The refresh token is unknown, expired, revoked or not issued to this client');
    const presented = await presentRefreshToken(env, tenant.id, refreshToken);
    if (!presented) throw refuse('malformed refresh token');
    const { grantId, ...token } = presented;
    if (token.generation >= MAX_GENERATION) throw refuse('the refresh token is of the last generation a token can name');

    // The binding is decided and the key loaded before the token is spent, so neither a missing proof
    // nor a key-store fault can burn a refresh token.
    const confirmation = confirmationFor(client, sender, issuer);
    const key = await getSigningKey(env, tenant);
    // The next generation's token; the object keeps it only if the presented one is the current one.
    const next = await mintRefreshToken(env, tenant.id, grantId, token.generation + 1);
    const stub = grantStub(env, tenant, grantId);
    const outcome = await stub.refresh({
      tenantId: tenant.id,
      tenantIncarnation: tenant.incarnation,
      clientId: client.clientId,
      token,
      nextHash: await sha256(next),
      ...(requested ? { scope: [...new Set(requested)] } : {}),
      ...(sender.dpop ? { jkt: sender.dpop.jkt } : {}),
    });
    if (outcome.status === 'invalid_dpop_proof') throw invalidDpopProof(outcome.reason);
    if (outcome.status === 'invalid_grant') throw refuse(outcome.reason);
    if (outcome.status === 'invalid_scope') {
      const named = plainToken(outcome.scope);
      throw invalidScope(`${named ? `The scope ${named} was` : 'A requested scope was'} not granted; ask for the granted scopes or fewer`);
    }
    const { grant } = outcome;
    // A grant whose user, or whose client, was deleted (and maybe re-created) since is dead for good.
    if (!(await grantStanding(env, tenant, grant, client))) {
      await stub.revoke({ tenantId: tenant.id, tenantIncarnation: tenant.incarnation }, client.clientId);
      throw refuse('the user or the client was deleted');
    }
    // A grant bound to a DPoP key was refreshed with a proof of it; any other gets this request's binding.
    const minted = { ...familyToMint(grant, issuer, outcome.scope), refreshToken: next, confirmation };
    return mintTokenResponse(key, tenant.settings, minted, Date.now());
  },
};
