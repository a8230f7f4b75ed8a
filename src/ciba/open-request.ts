// Opening a CIBA request (CIBA §7.3, contract §3), all or nothing: the authenticator identifies the
// user, the request's Durable Object is created, and only then is the request shown to the user, so
// a decision can never arrive for a request that does not exist. Any failure after creation takes
// the request back from the user and discards it; a failing undo is logged, never masks the cause.
import type { Env } from '../env.ts';
import { serverError } from '../errors.ts';
import type { AuthenticationStart, Authenticator, IdentifiedUser } from '../authenticators/authenticator.ts';
import { authenticatorFor } from '../authenticators/index.ts';
import { sha256 } from '../lib/crypto.ts';
import { authRequestStub, mintRequestCredentials } from './auth-req-id.ts';
import { newAuthRequest } from './state.ts';

/** A backchannel request that passed every check of §3, ready to open. */
export type OpenRequestParams = Omit<AuthenticationStart, 'requestId' | 'callbackToken' | 'createdAt' | 'expiresAt'> & {
  /** Seconds until the request expires. */
  ttl: number;
};

export interface OpenedRequest {
  authReqId: string;
}

/** Identifies the user, stores the request, then shows it to the user; throws the refusal's OAuthError. */
export async function openAuthRequest(env: Env, params: OpenRequestParams): Promise<OpenedRequest> {
  const { ttl, ...request } = params;
  const { tenant } = request;
  const credentials = mintRequestCredentials();
  const createdAt = Date.now();
  const start: AuthenticationStart = {
    ...request,
    requestId: credentials.requestId,
    callbackToken: credentials.callbackToken,
    createdAt,
    expiresAt: createdAt + ttl * 1000,
  };
  const authenticator = authenticatorFor(tenant);
  const user = await authenticator.identify(env, start);

  const [authReqIdHash, callbackTokenHash] = await Promise.all([
    sha256(credentials.authReqId),
    sha256(credentials.callbackToken),
  ]);
  const stub = authRequestStub(env, tenant.id, credentials.requestId);
  const stored = await stub.create(
    newAuthRequest(
      {
        tenantId: tenant.id,
        tenantIncarnation: tenant.incarnation,
        requestId: credentials.requestId,
        clientId: request.client.clientId,
        authReqIdHash,
        callbackTokenHash,
        sub: user.sub,
        ...(user.incarnation !== undefined ? { userIncarnation: user.incarnation } : {}),
        scope: request.scope,
        ...(request.acrValues ? { acrValues: request.acrValues } : {}),
        ...(request.bindingMessage !== undefined ? { bindingMessage: request.bindingMessage } : {}),
        authenticator: tenant.settings.authenticator.type,
        createdAt,
        expiresAt: start.expiresAt,
        interval: tenant.settings.poll_interval,
      },
      Date.now(),
    ),
  );
  if (stored.status !== 'created') throw serverError(new Error('auth request id collision'));

  try {
    await authenticator.present(env, start, user);
  } catch (err) {
    await undo(env, authenticator, start, user);
    throw err;
  }
  return { authReqId: credentials.authReqId };
}

/** Takes a request that could not be shown back from the user and forgets it; failures are only logged. */
async function undo(env: Env, authenticator: Authenticator, start: AuthenticationStart, user: IdentifiedUser) {
  const results = await Promise.allSettled([
    authenticator.cancel(env, start, user),
    authRequestStub(env, start.tenant.id, start.requestId).discard(),
  ]);
  for (const result of results) {
    if (result.status === 'rejected') console.error('undoing a request that could not be opened failed', result.reason);
  }
}
