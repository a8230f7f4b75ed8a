// The protocol's vocabulary, named once: grant types, client authentication methods, algorithms,
// delivery modes, the scope and bearer-token grammars, RFC 9396's detail shape, and the endpoint
// paths the app mounts and discovery publishes (docs/protocol.md §1). Nothing here does anything.

/** CIBA §4: the grant type of the token endpoint's CIBA grant. */
export const CIBA_GRANT_TYPE = 'urn:openid:params:grant-type:ciba';
/** RFC 6749 §6. */
export const REFRESH_TOKEN_GRANT_TYPE = 'refresh_token';
export const SUPPORTED_GRANT_TYPES = [CIBA_GRANT_TYPE, REFRESH_TOKEN_GRANT_TYPE] as const;

/** The client authentication methods (RFC 7591 §2, RFC 7523, RFC 8705 §2; docs/protocol.md §2). */
export const SUPPORTED_AUTH_METHODS = [
  'client_secret_basic',
  'client_secret_post',
  'client_secret_jwt',
  'private_key_jwt',
  'tls_client_auth',
  'self_signed_tls_client_auth',
] as const;
export type ClientAuthMethod = (typeof SUPPORTED_AUTH_METHODS)[number];
/** Does the method authenticate with a secret the server issues? */
export const usesSecret = (method: ClientAuthMethod) => method.startsWith('client_secret_');
/** RFC 8705 §2: the methods that authenticate by the certificate of the mutual-TLS connection. */
export const MTLS_AUTH_METHODS = ['tls_client_auth', 'self_signed_tls_client_auth'] as const;
/** RFC 8705 §2.1.2: the one certificate member a tls_client_auth client registers. */
export const TLS_CLIENT_AUTH_MEMBERS = [
  'tls_client_auth_subject_dn',
  'tls_client_auth_san_dns',
  'tls_client_auth_san_uri',
  'tls_client_auth_san_email',
] as const;

/** Client assertion algorithms: HMAC for client_secret_jwt (RFC 7518 §3.2)... */
export const HMAC_ALGS = ['HS256', 'HS384', 'HS512'] as const;
/** ...and the asymmetric ones for private_key_jwt, signed request objects and login_hint_tokens. */
export const ASYMMETRIC_ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;
/** What a tenant may sign its tokens with (the first is the default). */
export const SIGNING_ALGS = ['ES256', 'PS256', 'RS256', 'EdDSA'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

/** RFC 9449 §5.1: what a DPoP proof may be signed with (docs/protocol.md §9). */
export const DPOP_ALGS = ASYMMETRIC_ALGS;
/** FAPI 1.0 Part 2 §8.6: the only algorithms a FAPI-CIBA tenant and its clients may use. */
export const FAPI_ALGS = ['PS256', 'ES256'] as const;
/** docs/protocol.md §9: what a tenant enforces; fapi-ciba narrows it to FAPI-CIBA. */
export const PROFILES = ['ciba', 'fapi-ciba'] as const;
export type Profile = (typeof PROFILES)[number];

/** CIBA §5: how a client receives its tokens. */
export const SUPPORTED_DELIVERY_MODES = ['poll', 'ping', 'push'] as const;
export type DeliveryMode = (typeof SUPPORTED_DELIVERY_MODES)[number];

/** RFC 6749 §3.3: one scope token (NQCHAR without the space). */
export const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
/** RFC 6749 §3.3: a space-delimited list of scope tokens. */
export const SCOPE_LIST = /^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/;
/** RFC 6750 §2.1: b64token, the syntax of bearer tokens (and CIBA's client_notification_token). */
export const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
/** RFC 6750 §2.1: `Authorization: Bearer <b64token>`; the token is the first group. */
export const BEARER_AUTHORIZATION = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;
/** RFC 9449 §7.1: `Authorization: DPoP <token68>`; the token is the first group. */
export const DPOP_AUTHORIZATION = /^DPoP +([A-Za-z0-9\-._~+/]+=*)$/i;

/** A JSON value, as JSON.parse gives it (and Durable Object RPC can carry). */
export type Json = string | number | boolean | null | JsonArray | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}
export interface JsonArray extends Array<Json> {}
/** One authorization detail (RFC 9396 §2): an object with a type, and the common members well typed. */
export interface AuthorizationDetail extends JsonObject {
  type: string;
}

/** The endpoints under a tenant's issuer (docs/protocol.md §1), as the app mounts them and discovery names them. */
export const ENDPOINTS = {
  discovery: '/.well-known/openid-configuration',
  jwks: '/jwks',
  backchannelAuthentication: '/cibaAuthorization',
  token: '/token',
  userinfo: '/userinfo',
  introspection: '/introspect',
  revocation: '/revoke',
  callback: '/ciba/callback',
  cancel: '/ciba/cancel',
} as const;
