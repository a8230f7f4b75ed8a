// Opening a CIBA request (CIBA §7.3, docs/protocol.md §3), all or nothing, as named steps: identify
// the user (when the authenticator can without asking), admit them under the push-bombing limits,
// create the request's Durable Object, present the request to the user, and bind it to the user an
// authenticator names only by asking (the webhook). A decision can never arrive for a request that
// does not exist. Each step that leaves something behind pushes its undoing onto one stack; when a
// later step fails, the stack runs (a failing undo is logged and never masks the cause).
import type { Consent } from '../consent.ts';
import type { Env } from '../env.ts';
import { AUTHENTICATOR_REASONS, OAuthError, serverError, userLimitReached } from '../errors.ts';
import type { AuthenticationStart, Authenticator, IdentifiedUser } from '../authenticators/authenticator.ts';
import { authenticatorFor, tellCancelled } from '../authenticators/index.ts';
import { displayName } from '../clients/store.ts';
import { sha256 } from '../lib/crypto.ts';
import { sealSecret } from '../secrets.ts';
import { canonicalUserOf, subjectKey } from '../users/hints.ts';
import { guardByName, limitsGuardName, type AdmitOutcome, type UserLimits } from '../users/user-guard.ts';
import { authRequestStub, mintRequestCredentials, type RequestCredentials } from './auth-req-id.ts';
import { DELIVERY_SECRETS } from './delivery.ts';
import { displayHashOf } from './display-hash.ts';
import { newAuthRequest, type Delivery } from './state.ts';

/** A backchannel request that passed every check of §3, ready to open. */
export type OpenRequestParams = Pick<AuthenticationStart, 'tenant' | 'issuer' | 'client' | 'hint' | 'userCode'> & {
  /** What the user is asked; its display hash is computed here. */
  consent: Omit<Consent, 'displayHash'>;
  /** Seconds until the request expires. */
  ttl: number;
  /** For ping and push clients: the client_notification_token (CIBA §7.1). */
  notificationToken?: string;
};

export interface OpenedRequest {
  authReqId: string;
}

/** What opening a request has left behind so far, undone together when a later step fails. */
class UndoStack {
  readonly #steps: Array<() => Promise<unknown>> = [];

  push(step: () => Promise<unknown>): void {
    this.#steps.push(step);
  }

  async run(): Promise<void> {
    const results = await Promise.allSettled(this.#steps.map((step) => step()));
    for (const result of results) {
      if (result.status === 'rejected') console.error('undoing a request that could not be opened failed', result.reason);
    }
  }
}

/** One request being opened: what every step reads. */
interface Opening {
  env: Env;
  params: OpenRequestParams;
  start: AuthenticationStart;
  credentials: RequestCredentials;
  authenticator: Authenticator;
  limits: UserLimits;
  /** The hashes the object keeps and the sealed delivery secrets, made while the user is admitted. */
  sealed: Promise<[authReqIdHash: string, callbackTokenHash: string, delivery: Delivery | undefined]>;
  undo: UndoStack;
}

/**
 * Opens the request, step by step; throws the refusal's OAuthError. `waitUntil` lets the platform
 * finish telling an authenticator that failed to answer in time that the request is cancelled,
 * after the RP has its answer.
 */
export async function openAuthRequest(
  env: Env,
  params: OpenRequestParams,
  waitUntil: (promise: Promise<unknown>) => void = () => undefined,
): Promise<OpenedRequest> {
  const opening = await prepare(env, params);
  try {
    const identified = await opening.authenticator.identify(env, opening.start);
    const admitted = await admit(opening, identified);
    await create(opening, identified, admitted.guard);
    const user = await present(opening, identified, waitUntil);
    if (!identified) await bind(opening, user, admitted);
  } catch (err) {
    await opening.undo.run();
    throw err;
  }
  return { authReqId: opening.credentials.authReqId };
}

/** The request's credentials, its times and what the user will be shown, digested. */
async function prepare(env: Env, params: OpenRequestParams): Promise<Opening> {
  const { tenant, issuer, client, hint, userCode, consent, ttl } = params;
  const credentials = mintRequestCredentials();
  const createdAt = Date.now();
  const displayHash = await displayHashOf({ ...consent, clientName: displayName(client) });
  const start: AuthenticationStart = {
    tenant,
    issuer,
    client,
    hint,
    ...(userCode !== undefined ? { userCode } : {}),
    consent: { ...consent, displayHash },
    requestId: credentials.requestId,
    callbackToken: credentials.callbackToken,
    createdAt,
    expiresAt: createdAt + ttl * 1000,
  };
  const limits = {
    pendingLimit: tenant.settings.user_pending_limit ?? 3,
    requestLimit: tenant.settings.user_request_limit ?? 10,
  };
  const sealed = Promise.all([
    sha256(credentials.authReqId),
    sha256(credentials.callbackToken),
    deliveryFor(env, params, credentials.authReqId),
  ]);
  sealed.catch(() => undefined); // awaited by create; a failure before then is create's to report
  return { env, params, start, credentials, authenticator: authenticatorFor(tenant), limits, sealed, undo: new UndoStack() };
}

/** A request admitted under its user's limits: the guard that counts it, and its answer. */
interface Admitted {
  guard: string;
  outcome: AdmitOutcome;
}

/**
 * Push-bombing limits (docs/protocol.md §8): the user is counted before their device is asked, by
 * the directory sub when known, else by one canonical form of whom the hint names.
 */
async function admit({ env, start, credentials, limits, undo }: Opening, identified: IdentifiedUser | undefined): Promise<Admitted> {
  const { tenant } = start;
  const guard = limitsGuardName(tenant, identified ? subjectKey(identified.sub) : canonicalUserOf(start.hint, start.issuer));
  const admission = guardByName(env, guard).admit(credentials.requestId, start.expiresAt, limits);
  // A slot taken for a request that will not open is given back (an admission that failed took none).
  undo.push(() => admission.then((a) => (a.admitted ? guardByName(env, guard).release(credentials.requestId) : undefined), () => undefined));
  const outcome = await admission;
  if (!outcome.admitted) throw userLimitReached(outcome.limit, outcome.retryAfterS);
  return { guard, outcome };
}

/** Stores the request in its own object, which sets its alarm; undone by discarding it. */
async function create(opening: Opening, identified: IdentifiedUser | undefined, guard: string): Promise<void> {
  const { env, start, credentials, undo } = opening;
  const { tenant, client } = start;
  const [authReqIdHash, callbackTokenHash, delivery] = await opening.sealed;
  const stub = authRequestStub(env, tenant, credentials.requestId);
  const stored = await stub.create(
    newAuthRequest(
      {
        tenantId: tenant.id,
        tenantIncarnation: tenant.incarnation,
        issuer: start.issuer,
        requestId: credentials.requestId,
        clientId: client.clientId,
        authReqIdHash,
        callbackTokenHash,
        ...(identified ? userOf(identified) : {}),
        limitsGuards: [guard],
        consent: start.consent,
        ...(delivery ? { delivery } : {}),
        authenticator: tenant.settings.authenticator.type,
        createdAt: start.createdAt,
        expiresAt: start.expiresAt,
        interval: tenant.settings.poll_interval,
      },
      Date.now(),
    ),
  );
  if (stored.status !== 'created') throw serverError(new Error('auth request id collision'));
  undo.push(() => stub.discard());
}

/**
 * Shows the stored request to the user. A refusal leaves nothing on the user's device; an
 * authenticator that failed (no answer in time, garbage) may be asking the user all the same, so it
 * is told the request is cancelled, without the RP's answer waiting for that (one attempt).
 */
async function present(
  { env, start, authenticator }: Opening,
  identified: IdentifiedUser | undefined,
  waitUntil: (promise: Promise<unknown>) => void,
): Promise<IdentifiedUser | undefined> {
  try {
    return await authenticator.present(env, start, identified);
  } catch (err) {
    if (!isRefusal(err)) tellCancelled(env, start.tenant, { requestId: start.requestId, sub: identified?.sub }, waitUntil);
    throw err;
  }
}

/**
 * Binds the request to the user the authenticator named while asking them, who is counted by their
 * sub as well, so a hint in another form (an e-mail, then an id_token_hint) gives them no second
 * budget; over it, the request is taken back from them.
 */
async function bind(opening: Opening, user: IdentifiedUser | undefined, admitted: Admitted): Promise<void> {
  const { env, start, credentials, authenticator, limits, undo } = opening;
  if (!user) throw new Error(`authenticator ${start.tenant.settings.authenticator.type} named no user`);
  undo.push(() => authenticator.cancel(env, start.tenant, { requestId: start.requestId, sub: user.sub }));
  const userGuard = limitsGuardName(start.tenant, subjectKey(user.sub));
  const counted = userGuard === admitted.guard ? [admitted.guard] : [admitted.guard, userGuard];
  const admission =
    userGuard === admitted.guard ? Promise.resolve(admitted.outcome) : guardByName(env, userGuard).admit(credentials.requestId, start.expiresAt, limits);
  if (userGuard !== admitted.guard) {
    undo.push(() => admission.then((a) => (a.admitted ? guardByName(env, userGuard).release(credentials.requestId) : undefined), () => undefined));
  }
  const [forUser, bound] = await Promise.all([
    admission,
    authRequestStub(env, start.tenant, credentials.requestId).bindUser({ ...userOf(user), limitsGuards: counted }),
  ]);
  if (bound.status !== 'bound') throw new Error('the request vanished while the authenticator answered');
  if (!forUser.admitted) throw userLimitReached(forUser.limit, forUser.retryAfterS);
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
