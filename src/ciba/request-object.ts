// Signed authentication requests (CIBA §7.1.1, FAPI-CIBA §5.2.2): the `request` parameter, a JWT the
// client signs with one of its registered keys, carrying every authentication request parameter.
// Every failure is invalid_request (CIBA §13 has no invalid_request_object).
import { jwtVerify, type JWTPayload } from 'jose';
import type { Env } from '../env.ts';
import { invalidRequest } from '../errors.ts';
import { publicKeysOf } from '../clients/keys.ts';
import { type ClientRecord } from '../clients/store.ts';
import { describeJwtFailure } from '../lib/jwt-failure.ts';
import { CLOCK_SKEW_S, nowSeconds } from '../lib/time.ts';
import { spendJti } from '../replay/guard.ts';
import { ASYMMETRIC_ALGS } from '../vocabulary.ts';

/** The algorithms a request object may be signed with: never none, never HS*. */
export const REQUEST_OBJECT_ALGS = ASYMMETRIC_ALGS;
/** FAPI-CIBA: `exp` at most 60 minutes after `nbf`, and `nbf` at most 60 minutes old. */
export const MAX_REQUEST_OBJECT_LIFETIME_S = 3600;

/**
 * Verifies a request object and returns its claims: signed by the client with its registered
 * algorithm (or any of REQUEST_OBJECT_ALGS when it registered none), `iss` the client, `aud` the
 * issuer, `exp`, `iat`, `nbf` and `jti` present and within FAPI-CIBA's bounds, and the `jti` never
 * seen before (the replay store of client assertions, in a namespace of its own).
 */
export async function verifyRequestObject(env: Env, client: ClientRecord, issuer: string, jwt: string): Promise<JWTPayload> {
  const keys = publicKeysOf(client);
  if (!keys) throw invalidRequest('This client has no registered keys to verify a request object with');
  const registered = client.metadata.backchannel_authentication_request_signing_alg;
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(jwt, keys, {
      algorithms: registered ? [registered] : [...REQUEST_OBJECT_ALGS],
      issuer: client.clientId,
      audience: issuer,
      requiredClaims: ['exp', 'iat', 'nbf', 'jti'],
      clockTolerance: CLOCK_SKEW_S,
    }));
  } catch (err) {
    throw invalidRequest(describeJwtFailure(err, 'request object', "the client's"));
  }
  const now = nowSeconds();
  const { exp, nbf, iat, jti } = payload as { exp: number; nbf: number; iat: number; jti: unknown };
  if (typeof jti !== 'string' || jti === '') throw invalidRequest("The request object's jti claim is not acceptable");
  // Spent as soon as the signature holds (docs/protocol.md §3), whatever is refused next.
  const spent = await spendJti(env, client.tenantId, `request object ${client.clientId}`, jti, Math.max(exp, now) * 1000);
  if (spent.status === 'replayed') throw invalidRequest('The request object was already used');
  if (exp <= now) throw invalidRequest('The request object has expired');
  if (exp - nbf > MAX_REQUEST_OBJECT_LIFETIME_S) throw invalidRequest('The request object lives longer than 60 minutes after its nbf');
  if (nbf < now - MAX_REQUEST_OBJECT_LIFETIME_S) throw invalidRequest("The request object's nbf is more than 60 minutes old");
  if (iat > now + CLOCK_SKEW_S) throw invalidRequest("The request object's iat claim is in the future");
  return payload;
}
