// Minting the tokens of a redeemed CIBA grant: the token endpoint calls it after the request's
// object has consumed the grant, and push delivery will call it from that object. No HTTP here.
import type { SigningKey } from '../keys/store.ts';
import type { TenantSettings } from '../tenants/store.ts';
import { mintTokenResponse, type IdTokenExtras, type TokenResponse } from '../tokens/token-response.ts';
import type { RedeemedGrant } from './state.ts';

/** The token response for a grant already consumed (design principle 7), signed with `key` at `now` (epoch s). */
export function mintRedeemedGrant(
  key: SigningKey,
  settings: TenantSettings,
  issuer: string,
  grant: RedeemedGrant,
  now: number,
  extras?: IdTokenExtras,
): Promise<TokenResponse> {
  const { approval } = grant;
  return mintTokenResponse(
    key,
    settings,
    {
      issuer,
      clientId: grant.clientId,
      sub: grant.sub,
      scope: grant.scope,
      authenticationMethod: approval.authenticationMethod,
      ...(approval.acr ? { acr: approval.acr } : {}),
      ...(approval.amr ? { amr: approval.amr } : {}),
      authTime: approval.authTime,
    },
    now,
    extras,
  );
}
