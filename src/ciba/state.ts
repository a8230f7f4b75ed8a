// The CIBA request lifecycle as pure functions: pending → approved | denied → redeemed, or expired.
// Time comes in as an argument (epoch milliseconds); the Durable Object only loads, calls, saves.

import { consentFromFlat, type Authentication, type Consent, type FlatConsent } from '../consent.ts';
import type { Redeemed } from '../tokens/issue.ts';

export type RequestStatus = 'pending' | 'approved' | 'denied' | 'redeemed' | 'expired' | 'cancelled';


export interface TimelineEvent {
  /** Epoch milliseconds. */
  at: number;
  event: string;
  detail?: Record<string, string | number | boolean>;
}

/** Where a ping or push client is told of the outcome (CIBA §10.2, §10.3). */
export interface Delivery {
  mode: 'ping' | 'push';
  endpoint: string;
  /** `{authReqId, notificationToken}` sealed for the tenant: the object keeps no secret in the clear. */
  secretsJwe: string;
}

/** What the client's endpoint is owed, attempted by the alarm until delivered or expired. */
export interface Outbox {
  kind: 'ping' | 'push_tokens' | 'push_denied' | 'push_expired';
  /** push_tokens: the token response, sealed; minted once, at the first attempt, never per retry. */
  bodyJwe?: string;
  /** Attempts that failed so far. */
  attempts: number;
  /** Epoch milliseconds of the next attempt. */
  dueAt: number;
}

export interface AuthRequestState {
  tenantId: string;
  /** The tenant's incarnation: a tenant deleted and re-created under the same id is another one. */
  tenantIncarnation: string;
  /** The tenant's issuer when the request was made: push tokens are minted for it. */
  issuer: string;
  requestId: string;
  clientId: string;
  authReqIdHash: string;
  callbackTokenHash: string;
  /** The user; undefined until an authenticator that identifies by asking (the webhook) has answered. */
  sub?: string;
  /** The directory user's incarnation, when the authenticator found the user in the directory. */
  userIncarnation?: string;
  /**
   * The UserGuards counting this request against its user's limits, each told when it stops
   * pending: the one of whom the hint names, and, once a webhook names the user, the one of their sub.
   */
  limitsGuards?: string[];
  /** The user's claims, JSON, as an authenticator that keeps its own users (the webhook) returned them. */
  claimsJson?: string;
  /**
   * What the user is asked to consent to, as checked at the backchannel endpoint; carried whole into
   * the grant family and the tokens. An approval that echoes its display hash must match it.
   */
  consent: Consent;
  /** Epoch milliseconds. */
  createdAt: number;
  expiresAt: number;
  /** Current poll interval in seconds; grows by 5 at every slow_down. */
  interval: number;
  lastPollAt?: number;
  status: RequestStatus;
  approval?: Authentication;
  delivery?: Delivery;
  outbox?: Outbox;
  timeline: TimelineEvent[];
}

/** How long an expired request still answers expired_token before its state is deleted. */
export const EXPIRED_GRACE_MS = 10 * 60 * 1000;
/** CIBA §7.3 / RFC 8628 §3.5: each slow_down adds 5 seconds to the interval. */
export const SLOW_DOWN_STEP_S = 5;
/** Bounds the timeline so a request polled for an hour stays small. */
export const MAX_TIMELINE_EVENTS = 200;

export interface PollInput {
  tenantId: string;
  tenantIncarnation: string;
  clientId: string;
  authReqIdHash: string;
  /**
   * Long polling (docs/protocol.md §8): `hold` marks a poll that may be held while pending (its pending
   * answer is `held`, not given yet); `resumed` its second look, when the request changed or the
   * wait ran out, which the interval rule does not apply to (it was applied on arrival).
   */
  phase?: 'hold' | 'resumed';
}

export type PollOutcome =
  | { status: 'pending' }
  | { status: 'held'; until: number }
  | { status: 'slow_down'; interval: number }
  | { status: 'denied' }
  | { status: 'expired' }
  | { status: 'invalid_grant'; reason: string }
  | { status: 'approved'; grant: Redeemed };

export type DecisionInput =
  | { ok: true; status: 'approved'; approval: Authentication; displayHash?: string; acrRequired?: boolean }
  | { ok: true; status: 'denied' }
  | { ok: false; description: string };

export type DecideOutcome =
  | { status: 'invalid_token' }
  | { status: 'invalid_request'; description: string }
  | { status: 'expired' }
  | { status: 'conflict'; current: RequestStatus }
  | { status: 'decided'; decision: 'approved' | 'denied' };

export interface Transition<O> {
  /** The state to save; `undefined` when nothing changes. */
  next?: AuthRequestState;
  outcome: O;
}

/** What opening a request knows before it shows the request to the user. */
export type NewAuthRequest = Omit<AuthRequestState, 'status' | 'timeline' | 'lastPollAt' | 'approval' | 'outbox'> & {
  /** The tenant's authenticator type, for the timeline. */
  authenticator: string;
};

/** The user an authenticator identified while asking them. */
export interface BoundUser {
  sub: string;
  userIncarnation?: string;
  /** Every guard the request is counted in once the user is known (replaces the list). */
  limitsGuards?: string[];
  claimsJson?: string;
}

/** The initial state of a request the authenticator accepted (CIBA §7.3), with its first timeline events. */
export function newAuthRequest(params: NewAuthRequest, now: number): AuthRequestState {
  const { authenticator, createdAt, ...rest } = params;
  return {
    ...rest,
    createdAt,
    status: 'pending',
    timeline: [
      { at: createdAt, event: 'created', detail: { client_id: params.clientId } },
      { at: createdAt, event: 'authenticator_asked', detail: { authenticator } },
      ...(params.sub !== undefined ? [{ at: now, event: 'authenticator_answered', detail: { result: 'started' } }] : []),
    ],
  };
}

/** CIBA §10.2, §10.3: what a decision owes a ping or push client, once the user is known. */
function owe(state: AuthRequestState, now: number): AuthRequestState {
  const { delivery } = state;
  if (!delivery || state.sub === undefined || (state.status !== 'approved' && state.status !== 'denied')) return state;
  const kind = delivery.mode === 'ping' ? 'ping' : state.status === 'approved' ? 'push_tokens' : 'push_denied';
  return { ...state, outbox: { kind, attempts: 0, dueAt: now } };
}

export type BindOutcome = { status: 'bound' } | { status: 'unknown' };

/** The user an authenticator named while asking them (docs/protocol.md §5): the request is now fully open. */
export function bindUser(state: AuthRequestState | undefined, user: BoundUser, now: number): Transition<BindOutcome> {
  if (!state || state.sub !== undefined) return { outcome: { status: 'unknown' } };
  const bound = record({ ...state, ...user }, now, 'authenticator_answered', { result: 'started' });
  // A decision that came while the authenticator was still answering is owed now.
  return { next: owe(bound, now), outcome: { status: 'bound' } };
}

/** Delivery backoff (docs/protocol.md §4): 1 s after the first failure, doubling, at most 60 s apart. */
export const retryDelayMs = (failures: number) => Math.min(2 ** Math.max(failures - 1, 0), 60) * 1000;

export type AttemptResult = { result: 'delivered' | 'refused' | 'failed'; status?: number };

/**
 * The answer of one delivery attempt: 2xx delivered, 3xx and 4xx final, anything else retried from
 * the alarm with backoff, except an expiry notice, which is tried once.
 */
export function afterAttempt(
  state: AuthRequestState | undefined,
  kind: Outbox['kind'],
  attempt: AttemptResult,
  now: number,
): Transition<{ status: 'recorded' | 'stale' }> {
  if (!state?.outbox || state.outbox.kind !== kind) return { outcome: { status: 'stale' } };
  const failures = state.outbox.attempts + 1;
  const detail = { kind, attempt: failures, result: attempt.result, ...(attempt.status ? { status: attempt.status } : {}) };
  const retry = attempt.result === 'failed' && kind !== 'push_expired';
  const outbox = retry ? { ...state.outbox, attempts: failures, dueAt: now + retryDelayMs(failures) } : undefined;
  const { outbox: _sent, ...rest } = state;
  return { next: record(outbox ? { ...rest, outbox } : rest, now, 'delivery_attempted', detail), outcome: { status: 'recorded' } };
}

/** Push (CIBA §10.3): the tokens were minted and sealed for delivery; the grant is spent. */
export function tokensMinted(state: AuthRequestState, bodyJwe: string, now: number): AuthRequestState {
  if (!state.outbox) return state;
  return record({ ...state, status: 'redeemed', outbox: { ...state.outbox, bodyJwe } }, now, 'tokens_issued');
}

/** Appends to the timeline, dropping the oldest poll records first when it is full. */
export function record(
  state: AuthRequestState,
  at: number,
  event: string,
  detail?: TimelineEvent['detail'],
): AuthRequestState {
  let timeline = [...state.timeline, detail ? { at, event, detail } : { at, event }];
  if (timeline.length > MAX_TIMELINE_EVENTS) {
    const firstPoll = timeline.findIndex((e) => e.event === 'polled');
    timeline = timeline.filter((_, i) => i !== (firstPoll >= 0 ? firstPoll : 1));
  }
  return { ...state, timeline };
}

const isPastExpiry = (state: AuthRequestState, now: number) => now >= state.expiresAt;

/** What an approved request hands over for its tokens: by poll, or to push delivery. */
export function redeemedOf(state: AuthRequestState, sub: string, authentication: Authentication): Redeemed {
  return {
    requestId: state.requestId,
    clientId: state.clientId,
    sub,
    ...(state.userIncarnation !== undefined ? { userIncarnation: state.userIncarnation } : {}),
    ...(state.claimsJson !== undefined ? { claimsJson: state.claimsJson } : {}),
    consent: state.consent,
    authentication,
  };
}

/** Reads a stored request of either shape as the current one; the next write stores the current shape. */
export function upgradeRequest(
  stored: AuthRequestState | (Omit<AuthRequestState, 'consent'> & FlatConsent) | undefined,
): AuthRequestState | undefined {
  if (stored === undefined || 'consent' in stored) return stored;
  const { rest, consent } = consentFromFlat(stored);
  return { ...rest, consent };
}

/** A token-endpoint poll (CIBA §11, docs/protocol.md §4): the interval rule, then the state's answer. */
export function poll(
  state: AuthRequestState | undefined,
  input: PollInput,
  now: number,
): Transition<PollOutcome> {
  if (!state || state.sub === undefined) return { outcome: { status: 'invalid_grant', reason: 'unknown auth_req_id' } };
  if (
    state.tenantId !== input.tenantId ||
    state.tenantIncarnation !== input.tenantIncarnation ||
    state.clientId !== input.clientId ||
    state.authReqIdHash !== input.authReqIdHash
  ) {
    return { outcome: { status: 'invalid_grant', reason: 'auth_req_id was not issued to this client' } };
  }
  if (state.status === 'redeemed') {
    return { outcome: { status: 'invalid_grant', reason: 'auth_req_id was already redeemed' } };
  }
  if (state.status === 'cancelled') {
    return { outcome: { status: 'invalid_grant', reason: 'the client cancelled the request' } };
  }
  if (state.status === 'expired' || isPastExpiry(state, now)) {
    const next =
      state.status === 'expired' ? undefined : record({ ...state, status: 'expired' }, now, 'expired');
    return { next, outcome: { status: 'expired' } };
  }
  if (state.status === 'denied') {
    return { next: record(state, now, 'polled', { answer: 'access_denied' }), outcome: { status: 'denied' } };
  }
  if (state.status === 'approved' && state.approval) {
    const next = record({ ...state, status: 'redeemed', lastPollAt: now }, now, 'redeemed');
    return {
      next,
      outcome: {
        status: 'approved',
        grant: redeemedOf(state, state.sub, state.approval),
      },
    };
  }
  // Pending: the first poll is never throttled; later ones must keep the interval.
  if (input.phase !== 'resumed' && state.lastPollAt !== undefined && now - state.lastPollAt < state.interval * 1000) {
    const interval = state.interval + SLOW_DOWN_STEP_S;
    const next = record({ ...state, interval, lastPollAt: now }, now, 'polled', {
      answer: 'slow_down',
      interval,
    });
    return { next, outcome: { status: 'slow_down', interval } };
  }
  if (input.phase === 'hold') {
    const next = record({ ...state, lastPollAt: now }, now, 'polled', { answer: 'held' });
    return { next, outcome: { status: 'held', until: state.expiresAt } };
  }
  const next = record({ ...state, lastPollAt: now }, now, 'polled', { answer: 'authorization_pending' });
  return { next, outcome: { status: 'pending' } };
}

/** Why an approval without acr is refused where one is required (docs/protocol.md §10). */
export const ACR_REQUIRED = 'acr is required: the request asked for acr_values';

/** The authenticator's decision through the callback (docs/protocol.md §5), first match wins. */
export function decide(
  state: AuthRequestState | undefined,
  callbackTokenHash: string,
  tenantIncarnation: string,
  input: DecisionInput,
  now: number,
): Transition<DecideOutcome> {
  if (!state || state.callbackTokenHash !== callbackTokenHash || state.tenantIncarnation !== tenantIncarnation) {
    return { outcome: { status: 'invalid_token' } };
  }
  if (!input.ok) return { outcome: { status: 'invalid_request', description: input.description } };
  // What-you-see binding: an approval that says what the device showed must have shown this request.
  const confirmed = input.status === 'approved' && input.displayHash !== undefined;
  if (confirmed && input.displayHash !== state.consent.displayHash) {
    return { outcome: { status: 'invalid_request', description: 'display_hash does not match what this request shows' } };
  }
  // docs/protocol.md §10: under fapi-ciba a request that asked for acr_values gets an ID token with acr.
  if (input.status === 'approved' && input.acrRequired && state.consent.acrValues && !input.approval.acr) {
    return { outcome: { status: 'invalid_request', description: ACR_REQUIRED } };
  }
  // A cancelled request answers its authenticator as an expired one does: it will never be honoured.
  if (state.status === 'cancelled') return { outcome: { status: 'expired' } };
  if (state.status === 'expired' || (isPastExpiry(state, now) && state.status !== 'redeemed')) {
    const next =
      state.status === 'expired' ? undefined : record({ ...state, status: 'expired' }, now, 'expired');
    return { next, outcome: { status: 'expired' } };
  }
  if (state.status !== 'pending') return { outcome: { status: 'conflict', current: state.status } };
  if (input.status === 'denied') {
    const next = record({ ...state, status: 'denied' }, now, 'denied');
    return { next: owe(next, now), outcome: { status: 'decided', decision: 'denied' } };
  }
  const next = record({ ...state, status: 'approved', approval: input.approval }, now, 'approved', {
    authentication_method: input.approval.authenticationMethod,
    ...(input.approval.acr ? { acr: input.approval.acr } : {}),
    ...(confirmed ? { display_confirmed: true } : {}),
  });
  return { next: owe(next, now), outcome: { status: 'decided', decision: 'approved' } };
}

export type CancelOutcome =
  | { status: 'cancelled'; requestId: string; sub?: string }
  | { status: 'unchanged' };

/**
 * Cancellation by the RP (docs/protocol.md §8): a pending, or approved but unredeemed, request of this client
 * becomes cancelled, and no delivery is owed any more. Anything else (unknown, another client's,
 * denied, redeemed, expired, already cancelled) changes nothing; the route answers the same either way.
 */
export function cancel(state: AuthRequestState | undefined, input: PollInput, now: number): Transition<CancelOutcome> {
  if (
    !state ||
    state.tenantId !== input.tenantId ||
    state.tenantIncarnation !== input.tenantIncarnation ||
    state.clientId !== input.clientId ||
    state.authReqIdHash !== input.authReqIdHash ||
    (state.status !== 'pending' && state.status !== 'approved') ||
    isPastExpiry(state, now)
  ) {
    return { outcome: { status: 'unchanged' } };
  }
  const { outbox: _dropped, ...rest } = state;
  const next = record({ ...rest, status: 'cancelled' }, now, 'cancelled');
  return {
    next,
    outcome: { status: 'cancelled', requestId: state.requestId, ...(state.sub !== undefined ? { sub: state.sub } : {}) },
  };
}

export type AlarmOutcome = { status: 'reschedule'; at: number } | { status: 'delete' };

/** The earlier of `at` and the next delivery attempt. */
const withOutbox = (state: AuthRequestState, at: number) => Math.min(at, state.outbox?.dueAt ?? at);

/**
 * The alarm's expiry rules: at expiry an undecided or unredeemed request becomes expired and
 * lingers for the grace period so late polls get expired_token; after that, or once redeemed, it is
 * deleted, with any tokens still awaiting push. A delivery still owed at expiry is abandoned; a push
 * client whose user never answered is told expired_token, once. The alarm comes back for the
 * earlier of the next expiry step and the next delivery attempt.
 */
export function expire(state: AuthRequestState | undefined, now: number): Transition<AlarmOutcome> {
  if (!state) return { outcome: { status: 'delete' } };
  if (now < state.expiresAt) return { outcome: { status: 'reschedule', at: withOutbox(state, state.expiresAt) } };
  if (state.status === 'redeemed' || state.status === 'cancelled' || now >= state.expiresAt + EXPIRED_GRACE_MS) {
    return { outcome: { status: 'delete' } };
  }
  const graceEnds = state.expiresAt + EXPIRED_GRACE_MS;
  if (state.status === 'expired') return { outcome: { status: 'reschedule', at: withOutbox(state, graceEnds) } };
  let next = record({ ...state, status: 'expired' }, now, 'expired');
  if (state.outbox) {
    const { outbox, ...rest } = next;
    next = record(rest, now, 'delivery_abandoned', { kind: outbox!.kind, attempts: outbox!.attempts });
  }
  if (state.status === 'pending' && state.delivery?.mode === 'push' && state.sub !== undefined) {
    next = { ...next, outbox: { kind: 'push_expired', attempts: 0, dueAt: now } };
  }
  return { next, outcome: { status: 'reschedule', at: withOutbox(next, graceEnds) } };
}
