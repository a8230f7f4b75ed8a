// Issuing the tokens of a redeemed CIBA grant: the grant is opened in its own Durable Object (so its
// tokens can be refreshed, introspected and revoked), then the tokens are minted. The token endpoint
// calls it after the request's object has consumed the approval, and push delivery calls it from
// that object. No HTTP here.
import type { Env } from '../env.ts';
import type { ClientRecord } from '../clients/store.ts';
import { openGrant } from '../grants/token-grant.ts';
import type { SigningKey } from '../keys/store.ts';
import type { TenantRecord } from '../tenants/store.ts';
import { grantToMint, mintTokenResponse, type IdTokenExtras, type TokenResponse } from '../tokens/token-response.ts';
import type { RedeemedGrant } from './state.ts';

/** The token response for an approval already consumed (design principle 7), signed with `key` at `now` (epoch s). */
export async function issueRedeemedGrant(
  env: Env,
  key: SigningKey,
  tenant: TenantRecord,
  issuer: string,
  client: ClientRecord,
  grant: RedeemedGrant,
  now: number,
  extras?: IdTokenExtras,
): Promise<TokenResponse> {
  const { grantId, refreshToken } = await openGrant(env, tenant, issuer, client, grant, now);
  const minted = grantToMint(grant, issuer, grant.clientId, grant.scope, grantId);
  return mintTokenResponse(key, tenant.settings, refreshToken ? { ...minted, refreshToken } : minted, now, extras);
}
