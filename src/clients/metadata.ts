// Client metadata (RFC 7591 §2 with CIBA §4's backchannel_* members and the extensions of
// docs/protocol.md §8): the schema and the rules that make the members fit together. Pure: the
// records, secrets and keys live in store.ts.
import * as z from 'zod/mini';
import { invalidClientMetadata, parseOrThrow } from '../errors.ts';
import { plainToken } from '../lib/error-text.ts';
import { outboundUrlProblem } from '../lib/validation.ts';
import { canonicalDn, readCertificate } from '../lib/x509.ts';
import {
  ASYMMETRIC_ALGS,
  CIBA_GRANT_TYPE,
  HMAC_ALGS,
  SCOPE_LIST,
  SUPPORTED_AUTH_METHODS,
  SUPPORTED_DELIVERY_MODES,
  SUPPORTED_GRANT_TYPES,
  TLS_CLIENT_AUTH_MEMBERS,
  usesSecret,
  type ClientAuthMethod,
  type DeliveryMode,
} from '../vocabulary.ts';

/** JWK members that only private or symmetric keys have: never accepted in a client's key set. */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
/** The longest a poll may be held (docs/protocol.md §8, docs/operations.md: why 25 s). */
export const LONG_POLL_MAX_WAIT_S = 25;

/** The metadata the admin API accepts; unknown members are ignored (RFC 7591 §2). */
const clientMetadataSchema = z.object({
  client_name: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
  token_endpoint_auth_method: z._default(z.string(), 'client_secret_basic'),
  grant_types: z._default(z.array(z.string()), [CIBA_GRANT_TYPE]),
  backchannel_token_delivery_mode: z._default(z.string(), 'poll'),
  backchannel_client_notification_endpoint: z.optional(z.string()),
  backchannel_user_code_parameter: z._default(z.boolean(), false),
  // docs/protocol.md §8: long polling; each pending poll is held up to this many seconds.
  backchannel_long_poll_wait: z.optional(z.int().check(z.minimum(1), z.maximum(LONG_POLL_MAX_WAIT_S))),
  // CIBA §4: when registered, every authentication request is a request object signed with it.
  backchannel_authentication_request_signing_alg: z.optional(z.enum(ASYMMETRIC_ALGS)),
  // RFC 9396 §10: the authorization_details types this client may request.
  authorization_details_types: z.optional(z.array(z.string().check(z.minLength(1)))),
  token_endpoint_auth_signing_alg: z.optional(z.string()),
  jwks: z.optional(
    z.strictObject({
      keys: z
        .array(
          z.looseObject({ kty: z.enum(['RSA', 'EC', 'OKP']) }).check(
            z.refine((k) => !PRIVATE_JWK_MEMBERS.some((m) => m in k), 'must be a public key (no private or symmetric members)'),
            // FAPI 1.0 Part 1 §5.2.2-5: 2048 bits at least, which is 342 base64url characters of `n`.
            z.refine((k) => k.kty !== 'RSA' || (typeof k.n === 'string' && k.n.length >= 342), 'an RSA key must have a modulus of at least 2048 bits'),
          ),
        )
        .check(z.minLength(1), z.maxLength(20)),
    }),
  ),
  jwks_uri: z.optional(z.string()),
  // RFC 9449 §5.2: every token request must carry a DPoP proof; its access tokens are bound to the key.
  dpop_bound_access_tokens: z.optional(z.boolean()),
  // RFC 8705 §3.4: access tokens bound to the certificate of the mutual-TLS connection.
  tls_client_certificate_bound_access_tokens: z.optional(z.boolean()),
  // RFC 8705 §2.1.2: what a tls_client_auth client's certificate must name (exactly one of them).
  tls_client_auth_subject_dn: z.optional(z.string().check(z.minLength(1))),
  tls_client_auth_san_dns: z.optional(z.string().check(z.minLength(1))),
  tls_client_auth_san_uri: z.optional(z.string().check(z.minLength(1))),
  tls_client_auth_san_email: z.optional(z.string().check(z.minLength(1))),
  scope: z.optional(z.string().check(z.regex(SCOPE_LIST))),
  contacts: z.optional(z.array(z.string())),
});

export type ClientMetadata = z.output<typeof clientMetadataSchema> & {
  token_endpoint_auth_method: ClientAuthMethod;
  backchannel_token_delivery_mode: DeliveryMode;
};

/** Validates client metadata (docs/protocol.md §6) or throws invalid_client_metadata. */
export function parseClientMetadata(input: unknown, development: boolean): ClientMetadata {
  const metadata = parseOrThrow(clientMetadataSchema, input, 'invalid_client_metadata') as ClientMetadata;
  checkAuthentication(metadata, development);
  for (const grant of metadata.grant_types) {
    if (!(SUPPORTED_GRANT_TYPES as readonly string[]).includes(grant)) {
      const named = plainToken(grant);
      throw invalidClientMetadata(`grant_types: ${named ? `${named} is` : 'a grant is'} not supported; use ${SUPPORTED_GRANT_TYPES.join(' or ')}`);
    }
  }
  const mode = metadata.backchannel_token_delivery_mode;
  if (!(SUPPORTED_DELIVERY_MODES as readonly string[]).includes(mode)) {
    throw invalidClientMetadata('backchannel_token_delivery_mode: must be poll, ping or push');
  }
  if (mode === 'push' && metadata.backchannel_long_poll_wait !== undefined) {
    throw invalidClientMetadata('backchannel_long_poll_wait: a push client never polls');
  }
  // A pushed token response is made without a token request, so nothing could prove the key or certificate.
  if (mode === 'push' && (metadata.dpop_bound_access_tokens || metadata.tls_client_certificate_bound_access_tokens)) {
    throw invalidClientMetadata('backchannel_token_delivery_mode: push tokens cannot be sender-constrained; use poll or ping');
  }
  const endpoint = metadata.backchannel_client_notification_endpoint;
  if (mode !== 'poll' && endpoint === undefined) {
    throw invalidClientMetadata(`backchannel_client_notification_endpoint: required for ${mode} delivery (CIBA section 4)`);
  }
  const endpointProblem = endpoint === undefined ? undefined : outboundUrlProblem(endpoint, development);
  if (endpointProblem) throw invalidClientMetadata(`backchannel_client_notification_endpoint: ${endpointProblem}`);
  return metadata;
}

/** Is it a certificate as x5c holds one (RFC 7517 §4.7: base64 DER)? */
function isCertificate(entry: unknown): boolean {
  try {
    return readCertificate(Uint8Array.from(atob(entry as string), (ch) => ch.charCodeAt(0))) !== undefined;
  } catch {
    return false;
  }
}

/** The authentication metadata must fit together (RFC 7591 §2, docs/protocol.md §2). */
function checkAuthentication(metadata: ClientMetadata, development: boolean): void {
  const { token_endpoint_auth_method: method, token_endpoint_auth_signing_alg: alg, jwks, jwks_uri } = metadata;
  if (!(SUPPORTED_AUTH_METHODS as readonly string[]).includes(method)) {
    throw invalidClientMetadata(`token_endpoint_auth_method: must be one of ${SUPPORTED_AUTH_METHODS.join(', ')}`);
  }
  if (jwks !== undefined && jwks_uri !== undefined) throw invalidClientMetadata('jwks and jwks_uri: give one, not both');
  const hasKeys = jwks !== undefined || jwks_uri !== undefined;
  if (method === 'private_key_jwt') {
    if (!hasKeys) throw invalidClientMetadata('jwks or jwks_uri: required for private_key_jwt');
    if (alg !== undefined && !(ASYMMETRIC_ALGS as readonly string[]).includes(alg)) {
      throw invalidClientMetadata(`token_endpoint_auth_signing_alg: must be one of ${ASYMMETRIC_ALGS.join(', ')} for private_key_jwt`);
    }
  } else if (method === 'self_signed_tls_client_auth') {
    // RFC 8705 §2.2: its certificates are registered inline, each the first of a key's x5c (docs/protocol.md §10).
    if (!jwks?.keys.some((key) => isCertificate((key.x5c as unknown[] | undefined)?.[0]))) {
      throw invalidClientMetadata('jwks: needs a key with its certificate in x5c');
    }
    if (alg !== undefined) throw invalidClientMetadata(`token_endpoint_auth_signing_alg: not used by ${method}`);
  } else {
    // A secret or tls_client_auth client's own keys serve only its signed authentication requests.
    if (hasKeys && metadata.backchannel_authentication_request_signing_alg === undefined) {
      throw invalidClientMetadata(`jwks and jwks_uri: not used by ${method}, which authenticates with a ${usesSecret(method) ? 'secret' : 'certificate'}`);
    }
    if (method === 'client_secret_jwt') {
      if (alg !== undefined && !(HMAC_ALGS as readonly string[]).includes(alg)) {
        throw invalidClientMetadata(`token_endpoint_auth_signing_alg: must be one of ${HMAC_ALGS.join(', ')} for client_secret_jwt`);
      }
    } else if (alg !== undefined) {
      throw invalidClientMetadata(`token_endpoint_auth_signing_alg: not used by ${method}`);
    }
  }
  // RFC 8705 §2.1.2: a tls_client_auth client registers exactly one name its certificate must carry.
  const names = TLS_CLIENT_AUTH_MEMBERS.filter((member) => metadata[member] !== undefined);
  if (method === 'tls_client_auth' ? names.length !== 1 : names.length > 0) {
    throw invalidClientMetadata(
      method === 'tls_client_auth' ? `tls_client_auth needs exactly one of ${TLS_CLIENT_AUTH_MEMBERS.join(', ')}` : `${names[0]}: used only by tls_client_auth`,
    );
  }
  if (metadata.tls_client_auth_subject_dn !== undefined && canonicalDn(metadata.tls_client_auth_subject_dn) === undefined) {
    throw invalidClientMetadata('tls_client_auth_subject_dn: not an RFC 4514 DN');
  }
  if (metadata.backchannel_authentication_request_signing_alg !== undefined && !hasKeys) {
    throw invalidClientMetadata('jwks or jwks_uri: required with backchannel_authentication_request_signing_alg');
  }
  const jwksUriProblem = jwks_uri === undefined ? undefined : outboundUrlProblem(jwks_uri, development);
  if (jwksUriProblem) throw invalidClientMetadata(`jwks_uri: ${jwksUriProblem}`);
}
