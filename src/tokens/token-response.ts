// Minting the token response for an approved CIBA grant: an RFC 9068 access token and an OpenID
// Connect ID token. Knows nothing of CIBA beyond the grant's fields.
import type { SigningKey } from '../keys/store.ts';
import { randomToken } from '../lib/crypto.ts';
import type { TenantSettings } from '../tenants/store.ts';
import { amrFor } from './amr.ts';
import { signJwt } from './jwt.ts';

export interface GrantToMint {
  issuer: string;
  clientId: string;
  sub: string;
  scope: string;
  authenticationMethod: string;
  acr?: string;
  amr?: string[];
  /** Epoch seconds. */
  authTime: number;
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  id_token: string;
  scope: string;
  authentication_method: string;
}

/** Mints the tokens for a grant already consumed (design principle 7: consume before minting). */
export async function mintTokenResponse(
  key: SigningKey,
  settings: TenantSettings,
  grant: GrantToMint,
  now: number,
): Promise<TokenResponse> {
  const amr = amrFor(grant.authenticationMethod, grant.amr);
  const authClaims = {
    auth_time: grant.authTime,
    ...(grant.acr ? { acr: grant.acr } : {}),
    ...(amr ? { amr } : {}),
  };
  // RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat, jti; typ at+jwt.
  const accessToken = await signJwt(
    {
      iss: grant.issuer,
      sub: grant.sub,
      aud: grant.issuer,
      client_id: grant.clientId,
      scope: grant.scope,
      iat: now,
      exp: now + settings.access_token_ttl,
      jti: randomToken(16),
      ...authClaims,
    },
    key,
    'at+jwt',
  );
  // OpenID Connect Core §2.
  const idToken = await signJwt(
    {
      iss: grant.issuer,
      sub: grant.sub,
      aud: grant.clientId,
      iat: now,
      exp: now + settings.id_token_ttl,
      ...authClaims,
    },
    key,
    'JWT',
  );
  return {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: settings.access_token_ttl,
    id_token: idToken,
    scope: grant.scope,
    authentication_method: grant.authenticationMethod,
  };
}
