// Reading back an access token this tenant issued (RFC 9068): its signature against the keys the
// tenant still publishes, its issuer, type and lifetime, then whether its grant still stands, its
// user and client included. Used by userinfo, introspection and revocation; never trusts a token of
// another tenant or incarnation.
import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { Env } from '../env.ts';
import { grantStub, isGrantId } from './family.ts';
import type { GrantState } from './family-state.ts';
import { grantStanding, type Standing } from './standing.ts';
import { publicJwks } from '../keys/store.ts';
import { type TenantRecord } from '../tenants/store.ts';
import { SIGNING_ALGS } from '../vocabulary.ts';

export interface AccessTokenClaims extends JWTPayload {
  sub: string;
  client_id: string;
  scope: string;
  gid: string;
  exp: number;
  iat: number;
}

const isClaims = (payload: JWTPayload): payload is AccessTokenClaims =>
  typeof payload.sub === 'string' &&
  typeof payload.client_id === 'string' &&
  typeof payload.scope === 'string' &&
  typeof payload.gid === 'string' &&
  isGrantId(payload.gid) &&
  typeof payload.exp === 'number' &&
  typeof payload.iat === 'number';

/**
 * The claims of an access token this tenant signed, or undefined for anything else. `currentOnly`
 * also refuses an expired token (revocation takes expired ones too).
 */
export async function readAccessToken(
  env: Env,
  tenant: TenantRecord,
  issuer: string,
  token: string,
  { currentOnly = true } = {},
): Promise<AccessTokenClaims | undefined> {
  try {
    const keys = createLocalJWKSet(await publicJwks(env, tenant, Date.now()));
    const { payload } = await jwtVerify(token, keys, {
      issuer,
      typ: 'at+jwt',
      algorithms: [...SIGNING_ALGS],
      ...(currentOnly ? {} : { currentDate: new Date(0) }),
    });
    return isClaims(payload) ? payload : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The grant an access token belongs to, with its client and directory user, while it still stands
 * for this tenant: not revoked or expired, and neither its user nor its client deleted since
 * (grants/standing.ts). Introspection answers inactive (RFC 7662 §2.2) and userinfo 401 (OpenID
 * Connect Core §5.3.3) otherwise.
 */
export async function activeGrantOf(
  env: Env,
  tenant: TenantRecord,
  claims: AccessTokenClaims,
): Promise<(Standing & { grant: GrantState }) | undefined> {
  const grant = await grantStub(env, tenant, claims.gid).active({ tenantId: tenant.id, tenantIncarnation: tenant.incarnation });
  if (!grant || grant.clientId !== claims.client_id || grant.sub !== claims.sub) return undefined;
  const standing = await grantStanding(env, tenant, grant);
  return standing && { ...standing, grant };
}
