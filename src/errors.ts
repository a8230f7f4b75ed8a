// The one error type of the server, its code catalogue and the single renderer of error bodies
// (RFC 6749 §5.2, CIBA §13, RFC 6750 §3.1). Every error on every path leaves through renderError,
// every status lives in this file, and every code is raised through one of the factories below.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { SCHEMA_CONTEXT, describeSchemaError, toErrorDescription, type SchemaError } from './lib/error-text.ts';
import { DPOP_ALGS } from './vocabulary.ts';

/** A deployment that lacks what it needs to run (a secret, a key); the renderer answers it as server_error. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

/** Every error code the server can put on the wire, with the status it answers unless a factory says otherwise. */
const defaultStatus = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  invalid_token: 401,
  insufficient_scope: 403,
  access_denied: 403,
  expired_token: 400,
  authorization_pending: 400,
  slow_down: 400,
  unknown_user_id: 400,
  expired_login_hint_token: 400,
  invalid_binding_message: 400,
  invalid_user_code: 400,
  missing_user_code: 400,
  invalid_target: 400,
  invalid_authorization_details: 400,
  invalid_client_metadata: 400,
  invalid_dpop_proof: 400,
  use_dpop_nonce: 400,
  server_error: 500,
  temporarily_unavailable: 503,
} as const satisfies Record<string, ContentfulStatusCode>;

export type OAuthErrorCode = keyof typeof defaultStatus;

export class OAuthError extends Error {
  override readonly name = 'OAuthError';
  readonly status: ContentfulStatusCode;
  readonly headers: Record<string, string>;

  /** RFC 6749 §5.2: in the character set it allows, whatever the factory was given (lib/error-text.ts). */
  readonly description: string;

  constructor(
    readonly code: OAuthErrorCode,
    description: string,
    options: { status?: ContentfulStatusCode; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    const text = toErrorDescription(description);
    super(`${code}: ${text}`, { cause: options.cause });
    this.description = text;
    this.status = options.status ?? defaultStatus[code];
    this.headers = options.headers ?? {};
  }
}

/** A quoted-string for an HTTP auth parameter (RFC 9110 §5.6.4): backslash and double quote escaped. */
const quoted = (value: string) => `"${value.replace(/[\\"]/g, (ch) => `\\${ch}`)}"`;

// docs/protocol.md §1: request shape, paths, methods, sizes.
export const invalidRequest = (description: string) => new OAuthError('invalid_request', description);
export const notFound = (description = 'Not found') => new OAuthError('invalid_request', description, { status: 404 });
export const methodNotAllowed = (method: string, allow: readonly string[]) =>
  new OAuthError('invalid_request', `The ${method} method is not allowed here`, {
    status: 405,
    headers: { Allow: allow.join(', ') },
  });
export const payloadTooLarge = (limit: number) =>
  new OAuthError('invalid_request', `The request body exceeds ${limit} bytes`, { status: 413 });
/** RFC 6455 §10.2: a WebSocket handshake whose Origin is not the server's own (or is missing) is refused. */
export const foreignOrigin = (description: string) => new OAuthError('invalid_request', description, { status: 403 });
/** A write that conflicts with what is stored (a login hint another user holds, a decision already made). */
export const conflict = (description: string) => new OAuthError('invalid_request', description, { status: 409 });
/** A schema's first problem, naming the member, as `code` (invalid_request unless said). */
export const fromSchemaError = (error: SchemaError, code: OAuthErrorCode = 'invalid_request') =>
  new OAuthError(code, describeSchemaError(error));

/** Parses `input` with `schema`, or throws its first problem as `code` (invalid_request unless said). */
export function parseOrThrow<T>(
  schema: { safeParse(input: unknown, context: typeof SCHEMA_CONTEXT): { success: true; data: T } | { success: false; error: SchemaError } },
  input: unknown,
  code: OAuthErrorCode = 'invalid_request',
): T {
  const result = schema.safeParse(input, SCHEMA_CONTEXT);
  if (!result.success) throw fromSchemaError(result.error, code);
  return result.data;
}

// docs/protocol.md §2 and the admin API: who is calling.
export const invalidClient = (description: string, realm: string) =>
  new OAuthError('invalid_client', description, { headers: { 'WWW-Authenticate': `Basic realm=${quoted(realm)}` } });
/** The scheme a protected resource challenges with: Bearer (RFC 6750 §3) or DPoP (RFC 9449 §7.1). */
export type TokenScheme = 'Bearer' | 'DPoP';
type ChallengeCode = 'invalid_token' | 'insufficient_scope' | 'invalid_dpop_proof' | 'use_dpop_nonce';
/** RFC 6750 §3, RFC 9449 §7.1: a challenge naming the error, its description in RFC 6749 §5.2's character set. */
const challenge = (scheme: TokenScheme, code: ChallengeCode, description: string) =>
  `${scheme} error="${code}", error_description=${quoted(toErrorDescription(description))}${
    scheme === 'DPoP' ? ` algs="${DPOP_ALGS.join(' ')}"` : ''
  }`;
const bearerChallenge = (code: 'invalid_token' | 'insufficient_scope', description: string) => challenge('Bearer', code, description);
export const invalidToken = (description: string, scheme: TokenScheme = 'Bearer') =>
  new OAuthError('invalid_token', description, { headers: { 'WWW-Authenticate': challenge(scheme, 'invalid_token', description) } });
/** RFC 9449 §7.1: at a protected resource, a DPoP proof that fails its checks is 401 with a DPoP challenge. */
export const invalidDpopProofAtResource = (description: string) =>
  new OAuthError('invalid_dpop_proof', description, {
    status: 401,
    headers: { 'WWW-Authenticate': challenge('DPoP', 'invalid_dpop_proof', description) },
  });
/** RFC 9449 §4.3, §5: a DPoP proof that fails its checks at the token endpoint. */
export const invalidDpopProof = (description: string) => new OAuthError('invalid_dpop_proof', description);
/**
 * RFC 9449 §8, §9: the server demands a nonce; the client retries with the one in `DPoP-Nonce`. At the
 * token endpoint 400; at a protected resource 401 with a DPoP challenge.
 */
export const useDpopNonce = (nonce: string, atResource = false) =>
  new OAuthError('use_dpop_nonce', 'Send a DPoP proof with the nonce this response gives', {
    status: atResource ? 401 : 400,
    headers: {
      'DPoP-Nonce': nonce,
      ...(atResource ? { 'WWW-Authenticate': challenge('DPoP', 'use_dpop_nonce', 'Send a DPoP proof with the nonce this response gives') } : {}),
    },
  });
export const unauthorizedClient = (description: string) => new OAuthError('unauthorized_client', description);
/** RFC 6750 §3.1: a valid token that does not carry the scope the resource needs. */
export const insufficientScope = (description: string) =>
  new OAuthError('insufficient_scope', description, { headers: { 'WWW-Authenticate': bearerChallenge('insufficient_scope', description) } });
export const invalidClientMetadata = (description: string) => new OAuthError('invalid_client_metadata', description);

// docs/protocol.md §3: the backchannel request.
export const invalidScope = (description: string) => new OAuthError('invalid_scope', description);
export const unknownUserId = (description: string) => new OAuthError('unknown_user_id', description);
export const invalidBindingMessage = (description: string) => new OAuthError('invalid_binding_message', description);
export const missingUserCode = (description: string) => new OAuthError('missing_user_code', description);
export const invalidUserCode = (description: string) => new OAuthError('invalid_user_code', description);
export const expiredLoginHintToken = (description: string) => new OAuthError('expired_login_hint_token', description);
export const invalidTarget = (description: string) => new OAuthError('invalid_target', description);
export const invalidAuthorizationDetails = (description: string) =>
  new OAuthError('invalid_authorization_details', description);

/**
 * The nine reasons an authenticator may refuse a request with (docs/protocol.md §5, Authlete's failure
 * reasons); the RP gets that code with its status from the catalogue.
 */
export const AUTHENTICATOR_REASONS = [
  'unknown_user_id',
  'expired_login_hint_token',
  'invalid_binding_message',
  'invalid_user_code',
  'missing_user_code',
  'unauthorized_client',
  'access_denied',
  'invalid_target',
  'server_error',
] as const satisfies readonly OAuthErrorCode[];
export type AuthenticatorReason = (typeof AUTHENTICATOR_REASONS)[number];
/** docs/protocol.md §8: push-bombing limits, 403 access_denied with Retry-After (seconds). */
export const userLimitReached = (limit: string, retryAfterS: number) =>
  new OAuthError('access_denied', `Too many requests for this user (${limit}); try again later`, {
    status: 403,
    headers: { 'Retry-After': String(retryAfterS) },
  });
export const refusedByAuthenticator = (reason: AuthenticatorReason) =>
  new OAuthError(reason, `The authenticator refused the request: ${reason}`);

// docs/protocol.md §4: the token endpoint.
export const unsupportedGrantType = (supported: readonly string[]) =>
  new OAuthError('unsupported_grant_type', `This grant type is not supported; use ${supported.join(' or ')}`);
export const invalidGrant = (description: string) => new OAuthError('invalid_grant', description);
export const authorizationPending = () => new OAuthError('authorization_pending', 'The user has not answered yet');
export const slowDown = (interval: number) =>
  new OAuthError('slow_down', `Polling too fast; wait at least ${interval} seconds between polls`);
/** CIBA §11: a denied request answers access_denied with 400 at the token endpoint. */
export const accessDeniedAtToken = () => new OAuthError('access_denied', 'The user denied the request', { status: 400 });
export const expiredToken = (description: string) => new OAuthError('expired_token', description);

// docs/protocol.md §5: the authenticator's callback.
/** The callback of a request past its expiry: 410 Gone. */
export const callbackExpired = () => new OAuthError('expired_token', 'The request has expired', { status: 410 });

// Failures of the server itself.
export const serverError = (cause: unknown) =>
  new OAuthError('server_error', 'The server met an unexpected condition', { cause });
/** A configuration fault (no signing key, no secret, an unknown authenticator): 500, its cause logged. */
export const notConfigured = (cause: string | Error, description = 'The server is not configured') =>
  new OAuthError('server_error', description, {
    cause: typeof cause === 'string' ? new ConfigurationError(cause) : cause,
  });
export const temporarilyUnavailable = (cause: unknown) =>
  new OAuthError('temporarily_unavailable', 'The service is temporarily unavailable; try again shortly', {
    cause,
    headers: { 'Retry-After': '1' },
  });

export const noStoreHeaders = { 'Cache-Control': 'no-store', Pragma: 'no-cache' } as const;

/**
 * Is this a failure of a platform dependency that may pass (a Durable Object that is overloaded or
 * being reset, a storage call that may be retried)? Those answer 503, not 500 (docs/protocol.md §1).
 */
function isTransientDependencyFailure(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const flags = err as { retryable?: unknown; overloaded?: unknown };
  return flags.retryable === true || flags.overloaded === true;
}

/** Renders any error as `{error, error_description}` JSON with no-store headers: the only exit. */
export function renderError(err: unknown, c: Context): Response {
  let oauth: OAuthError;
  if (err instanceof OAuthError) {
    oauth = err;
  } else if (err instanceof ConfigurationError) {
    oauth = notConfigured(err);
  } else if (isTransientDependencyFailure(err)) {
    console.error('dependency unavailable', err);
    oauth = temporarilyUnavailable(err);
  } else {
    console.error('unexpected failure', err);
    oauth = serverError(err);
  }
  if ((oauth.code === 'server_error' || oauth.code === 'temporarily_unavailable') && oauth.cause !== undefined && err instanceof OAuthError) {
    console.error(oauth.code, oauth.cause);
  }
  return c.json({ error: oauth.code, error_description: oauth.description }, oauth.status, {
    ...noStoreHeaders,
    ...oauth.headers,
  });
}
