// Why a JWT that looked verifiable was refused, in words for the error_description, from jose's
// error classes: client assertions, request objects, id_token_hints and login_hint_tokens share it.
import { errors } from 'jose';

/** `what` names the JWT ("client assertion"); `owner` whose keys verify it ("the client's"). */
export function describeJwtFailure(err: unknown, what: string, owner: string): string {
  if (err instanceof errors.JWTExpired) return `The ${what} has expired`;
  if (err instanceof errors.JWTClaimValidationFailed) return `The ${what}'s ${err.claim} claim is not acceptable`;
  if (err instanceof errors.JOSEAlgNotAllowed) return `The ${what}'s algorithm is not allowed`;
  if (err instanceof errors.JWSSignatureVerificationFailed) return `The ${what}'s signature does not verify`;
  if (err instanceof errors.JWKSNoMatchingKey) return `No key of ${owner} matches the ${what}`;
  if (err instanceof errors.JWKSMultipleMatchingKeys) return `Several of ${owner} keys match the ${what}; give a kid`;
  if (err instanceof errors.JWKSTimeout) return `The jwks_uri holding ${owner} keys did not answer in time`;
  if (err instanceof errors.JOSEError) return `The ${what} is not valid (${err.code})`;
  // jose refuses an RSA key under 2048 bits with a TypeError naming its modulusLength.
  if (err instanceof TypeError && /modulusLength/.test(err.message)) return `The ${what} is signed with an RSA key under 2048 bits`;
  return `${owner[0]!.toUpperCase()}${owner.slice(1)} keys could not be read`;
}
