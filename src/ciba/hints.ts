// The three ways an authentication request names the user (CIBA §7.1, docs/protocol.md §3), read and, for
// the two signed ones, verified: exactly one of login_hint, id_token_hint, login_hint_token.
import { createLocalJWKSet, decodeJwt, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Env } from '../env.ts';
import { expiredLoginHintToken, invalidRequest } from '../errors.ts';
import { keySetOf, publicKeysOf } from '../clients/keys.ts';
import { type ClientRecord } from '../clients/store.ts';
import { publicJwks } from '../keys/store.ts';
import { describeJwtFailure } from '../lib/jwt-failure.ts';
import { CLOCK_SKEW_S, nowSeconds } from '../lib/time.ts';
import { type TenantRecord } from '../tenants/store.ts';
import { parseSubjectIdentifier, readLoginHint, type UserHint } from '../users/hints.ts';
import type { BackchannelParams } from './params.ts';
import { ASYMMETRIC_ALGS, FAPI_ALGS, SIGNING_ALGS } from '../vocabulary.ts';

/** Where the hint is checked: the tenant, its issuer and the calling client. */
export interface HintContext {
  env: Env;
  tenant: TenantRecord;
  issuer: string;
  client: ClientRecord;
}

export type GivenHint = { kind: 'login_hint' | 'id_token_hint' | 'login_hint_token'; value: string };

/** Exactly one hint (CIBA §7.1): which, and its value as given. */
export function pickHint(params: BackchannelParams): GivenHint {
  const given = (['login_hint', 'id_token_hint', 'login_hint_token'] as const).filter((k) => params[k] !== undefined);
  if (given.length === 0) throw invalidRequest('One of login_hint, id_token_hint or login_hint_token is required');
  if (given.length > 1) throw invalidRequest('Only one of login_hint, id_token_hint or login_hint_token may be given');
  return { kind: given[0]!, value: params[given[0]!]! };
}

/** The hint verified (the signed ones) into whom it names. */
export async function verifyHint(context: HintContext, { kind, value }: GivenHint): Promise<UserHint> {
  if (kind === 'login_hint') return readLoginHint(value);
  if (kind === 'id_token_hint') return { kind, sub: await verifyIdTokenHint(context, value) };
  return { kind, subId: await verifyLoginHintToken(context, value) };
}

/** Verifies a JWT with `keys`, describing any failure of it as invalid_request. */
async function verified(
  token: string,
  keys: JWTVerifyGetKey,
  what: string,
  owner: string,
  options: Parameters<typeof jwtVerify>[2],
): Promise<JWTPayload> {
  try {
    return (await jwtVerify(token, keys, options)).payload;
  } catch (err) {
    throw invalidRequest(describeJwtFailure(err, what, owner));
  }
}

/**
 * id_token_hint: an ID token this tenant issued (typ JWT, so never an access token), signed by a key
 * it still publishes, with the calling client in `aud`. Its `exp` may have passed (it only names the
 * user). Returns its `sub`.
 */
async function verifyIdTokenHint({ env, tenant, issuer, client }: HintContext, token: string): Promise<string> {
  const keys = createLocalJWKSet(await publicJwks(env, tenant, Date.now()));
  const payload = await verified(token, keys, 'id_token_hint', "this server's", {
    issuer,
    audience: client.clientId,
    typ: 'JWT',
    algorithms: [...SIGNING_ALGS],
    requiredClaims: ['sub'],
    // exp is judged below (or not at all): jose takes only a finite tolerance.
    clockTolerance: Number.MAX_SAFE_INTEGER,
  });
  if (typeof payload.sub !== 'string' || payload.sub === '') throw invalidRequest("The id_token_hint's sub claim is not acceptable");
  return payload.sub;
}

/**
 * login_hint_token: a JWT naming the user with an RFC 9493 `sub_id`, signed by the client (`iss` =
 * client_id, its registered keys) or by an issuer the tenant trusts (`trusted_hint_issuers`). `exp`
 * is required; past it the answer is expired_login_hint_token, but only once the signature holds.
 */
async function verifyLoginHintToken({ tenant, issuer, client }: HintContext, token: string) {
  let iss: unknown;
  try {
    iss = decodeJwt(token).iss;
  } catch {
    throw invalidRequest('The login_hint_token is not a JWT');
  }
  if (typeof iss !== 'string' || iss === '') throw invalidRequest('The login_hint_token has no iss claim');
  const trusted = tenant.settings.trusted_hint_issuers.find((t) => t.issuer === iss);
  const fromClient = iss === client.clientId;
  if (!fromClient && !trusted) throw invalidRequest("The login_hint_token's issuer is neither the client nor a trusted hint issuer");
  const keys = fromClient ? publicKeysOf(client) : keySetOf(`${tenant.id}/hint-issuer/${iss}`, trusted!);
  if (!keys) throw invalidRequest('The client has no registered keys to verify its login_hint_token with');
  const payload = await verified(token, keys, 'login_hint_token', fromClient ? "the client's" : "the hint issuer's", {
    issuer: iss,
    // FAPI 1.0 Part 2 §8.6: a fapi-ciba tenant verifies only PS256 and ES256 (docs/protocol.md §10).
    algorithms: [...(tenant.settings.profile === 'fapi-ciba' ? FAPI_ALGS : ASYMMETRIC_ALGS)],
    requiredClaims: ['exp'],
    // exp is judged below (or not at all): jose takes only a finite tolerance.
    clockTolerance: Number.MAX_SAFE_INTEGER,
  });
  const now = nowSeconds();
  const { exp, nbf, aud } = payload as { exp: number; nbf?: number; aud?: string | string[] };
  if (nbf !== undefined && nbf > now + CLOCK_SKEW_S) throw invalidRequest('The login_hint_token is not valid yet');
  if (aud !== undefined && !(Array.isArray(aud) ? aud : [aud]).includes(issuer)) {
    throw invalidRequest("The login_hint_token's aud claim does not hold this issuer");
  }
  if (exp + CLOCK_SKEW_S <= now) throw expiredLoginHintToken('The login_hint_token has expired');
  return parseSubjectIdentifier(payload.sub_id);
}
