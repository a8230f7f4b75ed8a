// Minting the token response for an approved CIBA grant: an RFC 9068 access token and an OpenID
// Connect ID token. Knows nothing of CIBA beyond the grant's fields.
import type { SigningKey } from '../keys/store.ts';
import { randomToken } from '../lib/crypto.ts';
import { base64url, utf8 } from '../lib/encoding.ts';
import type { TenantSettings } from '../tenants/store.ts';
import { amrFor } from './amr.ts';
import { signJwt } from './jwt.ts';
import type { Authentication, Consent } from '../consent.ts';
import type { Confirmation } from '../sender.ts';
import type { GrantState } from './family-state.ts';
import type { AuthorizationDetail } from '../vocabulary.ts';
import { storedInstantMs, toEpochSeconds } from '../lib/time.ts';

/** What one token response is minted from: a family's user, its consent (the scope maybe narrowed) and authentication. */
export interface TokensToMint {
  issuer: string;
  clientId: string;
  sub: string;
  consent: Consent;
  authentication: Authentication;
  /** The grant family the tokens belong to: the access token names it (`gid`), so revoking it ends them. */
  grantId: string;
  /** A refresh token to hand out with them, when the client has the refresh_token grant. */
  refreshToken?: string;
  /** What the access token is bound to (RFC 7800 `cnf`; docs/protocol.md §9); a bearer token when absent. */
  confirmation?: Confirmation;
}

export interface TokenResponse {
  access_token: string;
  /** RFC 9449 §5: DPoP for a token bound to a DPoP key; a certificate-bound token stays Bearer (RFC 8705 §3). */
  token_type: 'Bearer' | 'DPoP';
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

/** The tokens to mint for a family, for `issuer`, for `scope` (a refresh may narrow the consented one). */
export const familyToMint = (family: GrantState, issuer: string, scope: string): TokensToMint => ({
  issuer,
  clientId: family.clientId,
  sub: family.sub,
  consent: { ...family.consent, scope },
  authentication: family.authentication,
  grantId: family.grantId,
  ...(family.confirmation ? { confirmation: family.confirmation } : {}),
});

/** The resources a grant was asked for (RFC 8707 §2) as an `aud` claim: one as a string, more as an array. */
export const resourceAudience = (resource: string[] | undefined): string | string[] | undefined =>
  !resource ? undefined : resource.length === 1 ? resource[0]! : resource;

/** The access token's `aud` (RFC 8707 §2, RFC 9068 §3): the resources asked for, else the issuer. */
const audienceOf = ({ consent, issuer }: Pick<TokensToMint, 'consent' | 'issuer'>): string | string[] =>
  resourceAudience(consent.resource) ?? issuer;

/** Mints the tokens for a grant already consumed (consume before minting: docs/architecture.md, principles). */
export async function mintTokenResponse(
  key: SigningKey,
  settings: Pick<TenantSettings, 'access_token_ttl' | 'id_token_ttl'>,
  grant: TokensToMint,
  now: number,
  extras: IdTokenExtras = {},
): Promise<TokenResponse> {
  const { consent, authentication } = grant;
  // JWTs count in epoch seconds (RFC 7519 §2, NumericDate); the server's clock is milliseconds.
  const iat = toEpochSeconds(now);
  const amr = amrFor(authentication.authenticationMethod, authentication.amr);
  const authClaims = {
    auth_time: toEpochSeconds(storedInstantMs(authentication.authTime)),
    ...(authentication.acr ? { acr: authentication.acr } : {}),
    ...(amr ? { amr } : {}),
    ...(consent.bindingMessage !== undefined ? { binding_message: consent.bindingMessage } : {}),
  };
  // RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat, jti; typ at+jwt.
  const accessToken = await signJwt(
    {
      iss: grant.issuer,
      sub: grant.sub,
      aud: audienceOf(grant),
      client_id: grant.clientId,
      scope: consent.scope,
      ...(consent.authorizationDetails ? { authorization_details: consent.authorizationDetails } : {}),
      iat,
      exp: iat + settings.access_token_ttl,
      jti: randomToken(16),
      gid: grant.grantId,
      ...(grant.confirmation ? { cnf: grant.confirmation } : {}),
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
      iat,
      exp: iat + settings.id_token_ttl,
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
    token_type: grant.confirmation && 'jkt' in grant.confirmation ? 'DPoP' : 'Bearer',
    expires_in: settings.access_token_ttl,
    id_token: idToken,
    scope: consent.scope,
    authentication_method: authentication.authenticationMethod,
    ...(consent.authorizationDetails ? { authorization_details: consent.authorizationDetails } : {}),
    ...(grant.refreshToken ? { refresh_token: grant.refreshToken } : {}),
  };
}
