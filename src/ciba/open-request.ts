// Opening a CIBA request (CIBA §7.3, docs/protocol.md §3), all or nothing: the authenticator identifies the
// user (when it can without asking), the request's Durable Object is created, and only then is the
// request shown to the user, so a decision can never arrive for a request that does not exist. An
// authenticator that learns the user by asking (the webhook) names them then, and the request is
// bound to them. Any failure after creation discards the request (and takes it back from the user
// when they were asked); a failing undo is logged and never masks the cause.
import type { Env } from '../env.ts';
import { AUTHENTICATOR_REASONS, OAuthError, serverError, userLimitReached } from '../errors.ts';
import type { AuthenticationStart, IdentifiedUser } from '../authenticators/authenticator.ts';
import { authenticatorFor, tellCancelled } from '../authenticators/index.ts';
import { sha256 } from '../lib/crypto.ts';
import { sealSecret } from '../secrets.ts';
import { authRequestStub, mintRequestCredentials } from './auth-req-id.ts';
import { guardByName, limitsGuardName } from '../users/user-guard.ts';
import { canonicalUserOf, subjectKey } from '../users/hints.ts';
import { DELIVERY_SECRETS } from './delivery.ts';
import { newAuthRequest, type Delivery } from './state.ts';
import { displayHashOf } from './display-hash.ts';
import { displayName } from '../clients/store.ts';

/** A backchannel request that passed every check of §3, ready to open. */
export type OpenRequestParams = Omit<AuthenticationStart, 'requestId' | 'callbackToken' | 'createdAt' | 'expiresAt' | 'displayHash'> & {
  /** Seconds until the request expires. */
  ttl: number;
  /** For ping and push clients: the client_notification_token (CIBA §7.1). */
  notificationToken?: string;
  /** RFC 8707: the access token's audience. */
  resource?: string[];
};

export interface OpenedRequest {
  authReqId: string;
}

/**
 * Identifies the user, stores the request, then asks the user; throws the refusal's OAuthError.
 * `waitUntil` lets the platform finish telling an authenticator that failed to answer in time that
 * the request is cancelled, after the RP has its answer.
 */
export async function openAuthRequest(
  env: Env,
  params: OpenRequestParams,
  waitUntil: (promise: Promise<unknown>) => void = () => undefined,
): Promise<OpenedRequest> {
  const { ttl, notificationToken, resource, ...request } = params;
  const { tenant, client } = request;
  const credentials = mintRequestCredentials();
  const createdAt = Date.now();
  const displayHash = await displayHashOf({
    ...(request.bindingMessage !== undefined ? { bindingMessage: request.bindingMessage } : {}),
    ...(request.authorizationDetails ? { authorizationDetails: request.authorizationDetails } : {}),
    clientName: displayName(client),
    scope: request.scope,
  });
  const start: AuthenticationStart = {
    ...request,
    displayHash,
    requestId: credentials.requestId,
    callbackToken: credentials.callbackToken,
    createdAt,
    expiresAt: createdAt + ttl * 1000,
  };
  const authenticator = authenticatorFor(tenant);
  const identified = await authenticator.identify(env, start);
  // Push-bombing limits (docs/protocol.md §8): counted for the user before their device is asked.
  const limitsGuard = limitsGuardName(tenant, identified ? subjectKey(identified.sub) : canonicalUserOf(start.hint, request.issuer));
  // The hashes and the sealed delivery secrets are made meanwhile; nothing is stored before admission.
  const release = () => guardByName(env, limitsGuard).release(credentials.requestId);
  const limits = {
    pendingLimit: tenant.settings.user_pending_limit ?? 3,
    requestLimit: tenant.settings.user_request_limit ?? 10,
  };
  const admission = guardByName(env, limitsGuard).admit(credentials.requestId, start.expiresAt, limits);
  let prepared: [Awaited<typeof admission>, string, string, Delivery | undefined];
  try {
    prepared = await Promise.all([
      admission,
      sha256(credentials.authReqId),
      sha256(credentials.callbackToken),
      deliveryFor(env, params, credentials.authReqId),
    ]);
  } catch (err) {
    // A slot taken for a request that will not open is given back.
    void admission.then((a) => (a.admitted ? release() : undefined)).catch(() => undefined);
    throw err;
  }
  const [admitted, authReqIdHash, callbackTokenHash, delivery] = prepared;
  if (!admitted.admitted) throw userLimitReached(admitted.limit, admitted.retryAfterS);

  const stub = authRequestStub(env, tenant, credentials.requestId);
  let stored: Awaited<ReturnType<typeof stub.create>>;
  try {
    stored = await stub.create(
      newAuthRequest(
        {
          tenantId: tenant.id,
          tenantIncarnation: tenant.incarnation,
          issuer: request.issuer,
          requestId: credentials.requestId,
          clientId: client.clientId,
          authReqIdHash,
          callbackTokenHash,
          ...(identified ? userOf(identified) : {}),
          limitsGuards: [limitsGuard],
          scope: request.scope,
          ...(resource ? { resource } : {}),
          ...(request.authorizationDetails ? { authorizationDetailsJson: JSON.stringify(request.authorizationDetails) } : {}),
          ...(request.acrValues ? { acrValues: request.acrValues } : {}),
          ...(request.bindingMessage !== undefined ? { bindingMessage: request.bindingMessage } : {}),
          displayHash,
          ...(delivery ? { delivery } : {}),
          authenticator: tenant.settings.authenticator.type,
          createdAt,
          expiresAt: start.expiresAt,
          interval: tenant.settings.poll_interval,
        },
        Date.now(),
      ),
    );
  } catch (err) {
    await release().catch((cause: unknown) => console.error('releasing a limits slot failed', cause));
    throw err;
  }
  if (stored.status !== 'created') throw serverError(new Error('auth request id collision'));

  let user: IdentifiedUser | undefined;
  try {
    user = await authenticator.present(env, start, identified);
  } catch (err) {
    // The authenticator refused, which leaves nothing on the user's device, or failed (no answer in
    // time, garbage): forget the request. One that failed may be asking the user all the same, so it
    // is told the request is cancelled; the RP's answer does not wait for that (one attempt).
    await undo(env, start, [release]);
    if (!isRefusal(err)) tellCancelled(env, tenant, { requestId: start.requestId, sub: identified?.sub }, waitUntil);
    throw err;
  }
  if (!identified) {
    // The user is known now, and counted by their sub as well, so a hint in another form (an e-mail,
    // then an id_token_hint) gives them no second budget; over it, the request is taken back.
    const counted = [limitsGuard];
    try {
      if (!user) throw new Error(`authenticator ${tenant.settings.authenticator.type} named no user`);
      const userGuard = limitsGuardName(tenant, subjectKey(user.sub));
      if (userGuard !== limitsGuard) counted.push(userGuard);
      const [admittedForUser, bound] = await Promise.all([
        userGuard === limitsGuard ? admitted : guardByName(env, userGuard).admit(credentials.requestId, start.expiresAt, limits),
        stub.bindUser({ ...userOf(user), limitsGuards: counted }),
      ]);
      if (bound.status !== 'bound') throw new Error('the request vanished while the authenticator answered');
      if (!admittedForUser.admitted) throw userLimitReached(admittedForUser.limit, admittedForUser.retryAfterS);
    } catch (err) {
      const releaseAll = async () => {
        await Promise.all(counted.map((name) => guardByName(env, name).release(credentials.requestId)));
      };
      const cancel = () => authenticator.cancel(env, tenant, { requestId: start.requestId, sub: user!.sub });
      await undo(env, start, user ? [releaseAll, cancel] : [releaseAll]);
      throw err;
    }
  }
  return { authReqId: credentials.authReqId };
}

/** A refusal by the authenticator, with one of the nine reasons: it left nothing on the user's device. */
const isRefusal = (err: unknown) =>
  err instanceof OAuthError && (AUTHENTICATOR_REASONS as readonly string[]).includes(err.code);

/** The user as the request keeps it: a directory user by incarnation, another by the claims the authenticator gave. */
const userOf = (user: IdentifiedUser) => ({
  sub: user.sub,
  ...(user.incarnation !== undefined
    ? { userIncarnation: user.incarnation }
    : Object.keys(user.claims).length > 0
      ? { claimsJson: JSON.stringify(user.claims) }
      : {}),
});

/** Where a ping or push client is told; the auth_req_id and notification token go in sealed. */
async function deliveryFor(env: Env, params: OpenRequestParams, authReqId: string): Promise<Delivery | undefined> {
  const { backchannel_token_delivery_mode: mode, backchannel_client_notification_endpoint: endpoint } =
    params.client.metadata;
  if ((mode !== 'ping' && mode !== 'push') || endpoint === undefined || params.notificationToken === undefined) {
    return undefined;
  }
  const secrets = JSON.stringify({ authReqId, notificationToken: params.notificationToken });
  return { mode, endpoint, secretsJwe: await sealSecret(env, DELIVERY_SECRETS, params.tenant.id, secrets) };
}

/** Forgets a request that could not be opened, after `cancels`; failures are only logged. */
async function undo(env: Env, start: AuthenticationStart, cancels: Array<() => Promise<void>>) {
  const results = await Promise.allSettled([
    ...cancels.map((cancel) => cancel()),
    authRequestStub(env, start.tenant, start.requestId).discard(),
  ]);
  for (const result of results) {
    if (result.status === 'rejected') console.error('undoing a request that could not be opened failed', result.reason);
  }
}
