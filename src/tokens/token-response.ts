// Minting the token response for an approved CIBA grant: an RFC 9068 access token and an OpenID
// Connect ID token. Knows nothing of CIBA beyond the grant's fields.
import type { SigningKey } from '../keys/store.ts';
import { randomToken } from '../lib/crypto.ts';
import { base64url, utf8 } from '../lib/encoding.ts';
import type { TenantSettings } from '../tenants/store.ts';
import { amrFor } from './amr.ts';
import { signJwt } from './jwt.ts';
import type { AuthorizationDetail } from '../vocabulary.ts';

/** How the user authenticated, as the authenticator reported it (contract §5). */
export interface AuthenticationFacts {
  authenticationMethod: string;
  acr?: string;
  amr?: string[];
  /** Epoch seconds. */
  authTime: number;
}

export interface GrantToMint extends AuthenticationFacts {
  issuer: string;
  clientId: string;
  sub: string;
  scope: string;
  /** RFC 8707: the access token's audience; the issuer when absent. */
  resource?: string[];
  /** Contract §8: the binding message the user saw, a claim of the ID and access tokens. */
  bindingMessage?: string;
  /** RFC 9396: returned with the tokens and carried by the access token. */
  authorizationDetails?: AuthorizationDetail[];
  /** The grant the tokens belong to: the access token names it (`gid`), so revoking it ends them. */
  grantId: string;
  /** A refresh token to hand out with them, when the client has the refresh_token grant. */
  refreshToken?: string;
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  id_token: string;
  scope: string;
  authentication_method: string;
  authorization_details?: AuthorizationDetail[];
  refresh_token?: string;
}

/** What a delivered (rather than polled) token response adds to its ID token. */
export interface IdTokenExtras {
  /** Further claims, such as CIBA push's `urn:openid:params:jwt:claim:auth_req_id`. */
  claims?: Record<string, string>;
  /** Adds `at_hash` (OpenID Connect Core §3.3.2.11), and `urn:openid:params:jwt:claim:rt_hash` with a refresh token (CIBA §10.3.1). */
  atHash?: boolean;
}

/** The left half of the access token's hash, base64url, with the hash of the signing algorithm. */
async function halfHashOf(token: string, alg: SigningKey['alg']): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest(alg === 'EdDSA' ? 'SHA-512' : 'SHA-256', utf8(token)));
  return base64url(digest.subarray(0, digest.length / 2));
}

/** What a grant (redeemed, or refreshed) holds that its tokens carry, as stored. */
export interface StoredGrant {
  sub: string;
  resource?: string[];
  authorizationDetailsJson?: string;
  bindingMessage?: string;
  approval: AuthenticationFacts;
}

/**
 * The tokens to mint for a stored grant: its user, what it was approved for and how, for `scope`
 * (a refresh may narrow it), by `clientId`, in grant `grantId`.
 */
export function grantToMint(grant: StoredGrant, issuer: string, clientId: string, scope: string, grantId: string): GrantToMint {
  return {
    issuer,
    clientId,
    sub: grant.sub,
    scope,
    ...(grant.resource ? { resource: grant.resource } : {}),
    ...(grant.authorizationDetailsJson !== undefined
      ? { authorizationDetails: JSON.parse(grant.authorizationDetailsJson) as AuthorizationDetail[] }
      : {}),
    ...(grant.bindingMessage !== undefined ? { bindingMessage: grant.bindingMessage } : {}),
    ...grant.approval,
    grantId,
  };
}

/** The resources a grant was asked for (RFC 8707 §2) as an `aud` claim: one as a string, more as an array. */
export const resourceAudience = (resource: string[] | undefined): string | string[] | undefined =>
  !resource ? undefined : resource.length === 1 ? resource[0]! : resource;

/** The access token's `aud` (RFC 8707 §2, RFC 9068 §3): the resources asked for, else the issuer. */
const audienceOf = ({ resource, issuer }: Pick<GrantToMint, 'resource' | 'issuer'>): string | string[] =>
  resourceAudience(resource) ?? issuer;

/** Mints the tokens for a grant already consumed (design principle 7: consume before minting). */
export async function mintTokenResponse(
  key: SigningKey,
  settings: Pick<TenantSettings, 'access_token_ttl' | 'id_token_ttl'>,
  grant: GrantToMint,
  now: number,
  extras: IdTokenExtras = {},
): Promise<TokenResponse> {
  const amr = amrFor(grant.authenticationMethod, grant.amr);
  const authClaims = {
    auth_time: grant.authTime,
    ...(grant.acr ? { acr: grant.acr } : {}),
    ...(amr ? { amr } : {}),
    ...(grant.bindingMessage !== undefined ? { binding_message: grant.bindingMessage } : {}),
  };
  // RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat, jti; typ at+jwt.
  const accessToken = await signJwt(
    {
      iss: grant.issuer,
      sub: grant.sub,
      aud: audienceOf(grant),
      client_id: grant.clientId,
      scope: grant.scope,
      ...(grant.authorizationDetails ? { authorization_details: grant.authorizationDetails } : {}),
      iat: now,
      exp: now + settings.access_token_ttl,
      jti: randomToken(16),
      gid: grant.grantId,
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
      ...extras.claims,
      ...(extras.atHash ? { at_hash: await halfHashOf(accessToken, key.alg) } : {}),
      ...(extras.atHash && grant.refreshToken
        ? { 'urn:openid:params:jwt:claim:rt_hash': await halfHashOf(grant.refreshToken, key.alg) }
        : {}),
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
    ...(grant.authorizationDetails ? { authorization_details: grant.authorizationDetails } : {}),
    ...(grant.refreshToken ? { refresh_token: grant.refreshToken } : {}),
  };
}
