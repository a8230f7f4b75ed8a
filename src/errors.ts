// The one error type of the server, its code catalogue and the single renderer of error bodies
// (RFC 6749 §5.2, CIBA §13, RFC 6750 §3.1). Every error on every path leaves through renderError.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** Every error code the server can put on the wire. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_token'
  | 'access_denied'
  | 'expired_token'
  | 'authorization_pending'
  | 'slow_down'
  | 'unknown_user_id'
  | 'expired_login_hint_token'
  | 'invalid_binding_message'
  | 'invalid_user_code'
  | 'missing_user_code'
  | 'invalid_target'
  | 'invalid_authorization_details'
  | 'invalid_client_metadata'
  | 'server_error'
  | 'temporarily_unavailable';

/** The status each code answers with unless a route says otherwise (CIBA §13, RFC 6749 §5.2). */
const defaultStatus: Record<OAuthErrorCode, ContentfulStatusCode> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  invalid_token: 401,
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
  server_error: 500,
  temporarily_unavailable: 503,
};

export class OAuthError extends Error {
  override readonly name = 'OAuthError';
  readonly status: ContentfulStatusCode;
  readonly headers: Record<string, string>;

  constructor(
    readonly code: OAuthErrorCode,
    readonly description: string,
    options: { status?: ContentfulStatusCode; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(`${code}: ${description}`, { cause: options.cause });
    this.status = options.status ?? defaultStatus[code];
    this.headers = options.headers ?? {};
  }
}

export const isOAuthErrorCode = (value: unknown): value is OAuthErrorCode =>
  typeof value === 'string' && Object.hasOwn(defaultStatus, value);

/** Factories, one per code the routes raise directly. */
export const invalidRequest = (description: string, status?: ContentfulStatusCode) =>
  new OAuthError('invalid_request', description, { status });
export const invalidClient = (description: string, realm: string) =>
  new OAuthError('invalid_client', description, {
    headers: { 'WWW-Authenticate': `Basic realm="${realm}"` },
  });
export const invalidGrant = (description: string) => new OAuthError('invalid_grant', description);
export const unauthorizedClient = (description: string) =>
  new OAuthError('unauthorized_client', description);
export const invalidScope = (description: string) => new OAuthError('invalid_scope', description);
export const invalidToken = (description: string) =>
  new OAuthError('invalid_token', description, {
    headers: { 'WWW-Authenticate': `Bearer error="invalid_token", error_description="${description}"` },
  });
export const invalidClientMetadata = (description: string) =>
  new OAuthError('invalid_client_metadata', description);
export const notFound = (description = 'Not found') => invalidRequest(description, 404);
export const serverError = (cause: unknown) =>
  new OAuthError('server_error', 'The server met an unexpected condition', { cause });

export const noStoreHeaders = { 'Cache-Control': 'no-store', Pragma: 'no-cache' } as const;

/**
 * Is this a failure of a platform dependency that may pass (a Durable Object that is overloaded or
 * being reset, a storage call that may be retried)? Those answer 503, not 500 (contract §1).
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
  } else if (isTransientDependencyFailure(err)) {
    console.error('dependency unavailable', err);
    oauth = new OAuthError('temporarily_unavailable', 'The service is temporarily unavailable; try again shortly', {
      cause: err,
      headers: { 'Retry-After': '1' },
    });
  } else {
    console.error('unexpected failure', err);
    oauth = serverError(err);
  }
  if (oauth.code === 'server_error' && oauth.cause !== undefined && err instanceof OAuthError) {
    console.error('server_error', oauth.cause);
  }
  return c.json({ error: oauth.code, error_description: oauth.description }, oauth.status, {
    ...noStoreHeaders,
    ...oauth.headers,
  });
}
