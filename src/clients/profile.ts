// What a tenant's profile demands of the clients registered under it (docs/protocol.md §10, the
// FAPI-CIBA profile): FAPI-CIBA §5.2.2, FAPI 1.0 Part 2 §5.2.2 and §8.6. Pure: the admin API
// refuses a client that breaks them, and a tenant switching to the profile while one does.
import { invalidClientMetadata } from '../errors.ts';
import { FAPI_ALGS, MTLS_AUTH_METHODS, type Profile } from '../vocabulary.ts';
import type { ClientMetadata } from './metadata.ts';

/** FAPI 1.0 Part 2 §5.2.2-14: the client authentication methods a FAPI-CIBA tenant accepts. */
export const FAPI_AUTH_METHODS = ['private_key_jwt', ...MTLS_AUTH_METHODS] as const;

const isFapiAlg = (alg: unknown) => (FAPI_ALGS as readonly unknown[]).includes(alg);
const FAPI_ALGS_TEXT = 'must be PS256 or ES256 under fapi-ciba';

/** What in the client's metadata the tenant's profile forbids, described; undefined when it fits. */
export function profileProblem(metadata: ClientMetadata, profile: Profile | undefined): string | undefined {
  if (profile !== 'fapi-ciba') return undefined;
  const method = metadata.token_endpoint_auth_method;
  // FAPI-CIBA §5.2.2: no push.
  if (metadata.backchannel_token_delivery_mode === 'push') return 'backchannel_token_delivery_mode: push is not allowed under fapi-ciba; use poll or ping';
  if (!(FAPI_AUTH_METHODS as readonly string[]).includes(method)) {
    return `token_endpoint_auth_method: must be one of ${FAPI_AUTH_METHODS.join(', ')} under fapi-ciba`;
  }
  // FAPI 1.0 Part 2 §5.2.2-5: access tokens sender-constrained.
  if (!metadata.dpop_bound_access_tokens && !metadata.tls_client_certificate_bound_access_tokens) {
    return 'dpop_bound_access_tokens or tls_client_certificate_bound_access_tokens: one must be true under fapi-ciba';
  }
  // FAPI-CIBA §5.2.2: every authentication request signed (CIBA §7.1.1), so the algorithm is required.
  if (!isFapiAlg(metadata.backchannel_authentication_request_signing_alg)) {
    return `backchannel_authentication_request_signing_alg: required and ${FAPI_ALGS_TEXT}`;
  }
  // Without a registered algorithm a private_key_jwt assertion could be signed with any asymmetric one.
  if (method === 'private_key_jwt' && !isFapiAlg(metadata.token_endpoint_auth_signing_alg)) return `token_endpoint_auth_signing_alg: ${FAPI_ALGS_TEXT}`;
  // A key that names its algorithm names one the profile allows.
  if (metadata.jwks?.keys.some((key) => key.alg !== undefined && !isFapiAlg(key.alg))) return `jwks: a key's alg ${FAPI_ALGS_TEXT}`;
  return undefined;
}

/** Refuses (invalid_client_metadata) client metadata that the tenant's profile forbids. */
export function assertProfileFits(metadata: ClientMetadata, profile: Profile | undefined): void {
  const problem = profileProblem(metadata, profile);
  if (problem) throw invalidClientMetadata(problem);
}
