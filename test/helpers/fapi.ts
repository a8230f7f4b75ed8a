// The FAPI-CIBA profile's tests (routes/fapi-profile.test.ts, routes/fapi-requests.test.ts): a
// tenant and client metadata that fit the profile.
import { clientKey, type ClientKey } from './assertions.ts';

/** A fapi-ciba tenant's settings that fit the profile. */
export const FAPI_TENANT = { profile: 'fapi-ciba', signing_alg: 'PS256', access_token_ttl: 600 };

/** Client metadata FAPI-CIBA allows: private_key_jwt with PS256, signed requests, DPoP-bound tokens; and the key. */
export async function fapiClientMetadata(key?: ClientKey): Promise<Record<string, unknown>> {
  const signing = key ?? (await clientKey('PS256'));
  return {
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'PS256',
    backchannel_authentication_request_signing_alg: 'PS256',
    dpop_bound_access_tokens: true,
    jwks: { keys: [signing.publicJwk] },
  };
}

/** The metadata with `changes` applied; an undefined member is left out. */
export function changed(metadata: Record<string, unknown>, changes: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = { ...metadata, ...changes };
  for (const [name, value] of Object.entries(result)) if (value === undefined) delete result[name];
  return result;
}
