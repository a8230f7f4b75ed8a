// Table-driven tests of the pure request state machine (src/ciba/state.ts).
import { describe, expect, it } from 'vitest';
import {
  EXPIRED_GRACE_MS,
  MAX_TIMELINE_EVENTS,
  afterAttempt,
  bindUser,
  decide,
  expire,
  newAuthRequest,
  poll,
  retryDelayMs,
  tokensMinted,
  type Delivery,
  type Outbox,
  type AuthRequestState,
  type DecisionInput,
  type RequestStatus,
} from '../../src/ciba/state.ts';

const T0 = 1_800_000_000_000;
const approval = { authenticationMethod: 'smart-id', authTime: 1_800_000_010 };

function state(overrides: Partial<AuthRequestState> = {}): AuthRequestState {
  return {
    tenantId: 'acme',
    tenantIncarnation: 'inc-1',
    issuer: 'https://as.example/acme/as',
    requestId: 'req',
    clientId: 'rp',
    authReqIdHash: 'h-auth',
    callbackTokenHash: 'h-cb',
    sub: 'alice',
    consent: { scope: 'openid' },
    createdAt: T0,
    expiresAt: T0 + 300_000,
    interval: 5,
    status: 'pending',
    timeline: [],
    ...overrides,
  };
}

const mine = { tenantId: 'acme', tenantIncarnation: 'inc-1', clientId: 'rp', authReqIdHash: 'h-auth' };

describe('poll', () => {
  const cases: Array<[string, AuthRequestState | undefined, typeof mine, number, string, RequestStatus | undefined]> = [
    ['unknown request', undefined, mine, T0, 'invalid_grant', undefined],
    ['another client', state(), { ...mine, clientId: 'other' }, T0, 'invalid_grant', undefined],
    ['another tenant', state(), { ...mine, tenantId: 'other' }, T0, 'invalid_grant', undefined],
    ['another incarnation of the tenant', state({ status: 'approved', approval }), { ...mine, tenantIncarnation: 'inc-2' }, T0, 'invalid_grant', undefined],
    ['wrong secret half', state(), { ...mine, authReqIdHash: 'forged' }, T0, 'invalid_grant', undefined],
    ['first poll, pending', state(), mine, T0, 'pending', 'pending'],
    ['pending after the interval', state({ lastPollAt: T0 }), mine, T0 + 5_000, 'pending', 'pending'],
    ['pending too soon', state({ lastPollAt: T0 }), mine, T0 + 4_999, 'slow_down', 'pending'],
    ['denied', state({ status: 'denied' }), mine, T0, 'denied', 'denied'],
    ['denied, polled fast: still denied', state({ status: 'denied', lastPollAt: T0 }), mine, T0 + 1, 'denied', 'denied'],
    ['approved, polled fast: redeemed at once', state({ status: 'approved', approval, lastPollAt: T0 }), mine, T0 + 1, 'approved', 'redeemed'],
    ['redeemed', state({ status: 'redeemed', approval }), mine, T0, 'invalid_grant', undefined],
    ['pending at expiry', state(), mine, T0 + 300_000, 'expired', 'expired'],
    ['approved past expiry', state({ status: 'approved', approval }), mine, T0 + 300_001, 'expired', 'expired'],
    ['denied past expiry', state({ status: 'denied' }), mine, T0 + 300_001, 'expired', 'expired'],
    ['already expired', state({ status: 'expired' }), mine, T0, 'expired', undefined],
    ['redeemed past expiry', state({ status: 'redeemed' }), mine, T0 + 400_000, 'invalid_grant', undefined],
  ];
  it.each(cases)('%s', (_name, before, input, now, outcome, after) => {
    const result = poll(before, input, now);
    expect(result.outcome.status).toBe(outcome);
    expect(result.next?.status).toBe(after);
  });

  it('grows the interval by 5 s at every slow_down and counts the slow_down as the last poll', () => {
    let s = poll(state(), mine, T0).next!;
    const first = poll(s, mine, T0 + 1_000);
    expect(first.outcome).toEqual({ status: 'slow_down', interval: 10 });
    s = first.next!;
    expect(s.lastPollAt).toBe(T0 + 1_000);
    const second = poll(s, mine, T0 + 10_999);
    expect(second.outcome).toEqual({ status: 'slow_down', interval: 15 });
    expect(poll(second.next!, mine, T0 + 10_999 + 15_000).outcome).toEqual({ status: 'pending' });
  });

  it('hands out the grant exactly once', () => {
    const first = poll(state({ status: 'approved', approval }), mine, T0);
    expect(first.outcome).toEqual({
      status: 'approved',
      grant: { requestId: 'req', clientId: 'rp', sub: 'alice', consent: { scope: 'openid' }, authentication: approval },
    });
    expect(poll(first.next, mine, T0 + 1).outcome.status).toBe('invalid_grant');
  });

  it('keeps the timeline bounded however long the request is polled', () => {
    let s = state();
    for (let i = 0; i < MAX_TIMELINE_EVENTS * 2; i++) s = poll(s, mine, T0 + i * 5_000).next ?? s;
    expect(s.timeline.length).toBeLessThanOrEqual(MAX_TIMELINE_EVENTS);
  });
});

describe('newAuthRequest', () => {
  it('opens pending, with the tenant and user incarnations and the first three timeline events', () => {
    const opened = newAuthRequest(
      {
        tenantId: 'acme',
        tenantIncarnation: 'inc-1',
        issuer: 'https://as.example/acme/as',
        requestId: 'req',
        clientId: 'rp',
        authReqIdHash: 'h-auth',
        callbackTokenHash: 'h-cb',
        sub: 'alice',
        userIncarnation: 'u-1',
        consent: { scope: 'openid' },
        authenticator: 'builtin',
        createdAt: T0,
        expiresAt: T0 + 300_000,
        interval: 5,
      },
      T0 + 7,
    );
    expect(opened).toEqual({
      ...state({ userIncarnation: 'u-1' }),
      timeline: [
        { at: T0, event: 'created', detail: { client_id: 'rp' } },
        { at: T0, event: 'authenticator_asked', detail: { authenticator: 'builtin' } },
        { at: T0 + 7, event: 'authenticator_answered', detail: { result: 'started' } },
      ],
    });
  });
});

describe('decide', () => {
  const approve: DecisionInput = { ok: true, status: 'approved', approval };
  const deny: DecisionInput = { ok: true, status: 'denied' };
  const cases: Array<[string, AuthRequestState | undefined, string, DecisionInput, number, string, RequestStatus | undefined]> = [
    ['unknown request', undefined, 'h-cb', approve, T0, 'invalid_token', undefined],
    ['wrong token', state(), 'nope', approve, T0, 'invalid_token', undefined],
    ['wrong token beats a bad body', state(), 'nope', { ok: false, description: 'x' }, T0, 'invalid_token', undefined],
    ['bad body', state(), 'h-cb', { ok: false, description: 'x' }, T0, 'invalid_request', undefined],
    ['bad body beats expiry', state(), 'h-cb', { ok: false, description: 'x' }, T0 + 300_000, 'invalid_request', undefined],
    ['expired', state(), 'h-cb', approve, T0 + 300_000, 'expired', 'expired'],
    ['expiry beats already decided', state({ status: 'denied' }), 'h-cb', approve, T0 + 300_000, 'expired', 'expired'],
    ['approve', state(), 'h-cb', approve, T0, 'decided', 'approved'],
    ['deny', state(), 'h-cb', deny, T0, 'decided', 'denied'],
    ['already approved', state({ status: 'approved', approval }), 'h-cb', deny, T0, 'conflict', undefined],
    ['already denied', state({ status: 'denied' }), 'h-cb', approve, T0, 'conflict', undefined],
    ['already redeemed', state({ status: 'redeemed', approval }), 'h-cb', approve, T0, 'conflict', undefined],
  ];
  it.each(cases)('%s', (_name, before, token, input, now, outcome, after) => {
    const result = decide(before, token, 'inc-1', input, now);
    expect(result.outcome.status).toBe(outcome);
    expect(result.next?.status).toBe(after);
  });

  it('stores what the authenticator reported', () => {
    const full = { ...approval, acr: 'high', amr: ['hwk'] };
    const result = decide(state(), 'h-cb', 'inc-1', { ok: true, status: 'approved', approval: full }, T0);
    expect(result.next?.approval).toEqual(full);
  });

  it('a callback token of a deleted incarnation of the tenant is invalid_token, and decides nothing', () => {
    const result = decide(state(), 'h-cb', 'inc-2', approve, T0);
    expect(result.outcome).toEqual({ status: 'invalid_token' });
    expect(result.next).toBeUndefined();
  });
});

describe('expire (the alarm)', () => {
  const cases: Array<[string, AuthRequestState | undefined, number, string, RequestStatus | undefined]> = [
    ['nothing stored', undefined, T0, 'delete', undefined],
    ['early alarm', state(), T0 + 1_000, 'reschedule', undefined],
    ['pending at expiry', state(), T0 + 300_000, 'reschedule', 'expired'],
    ['approved at expiry', state({ status: 'approved', approval }), T0 + 300_000, 'reschedule', 'expired'],
    ['denied at expiry', state({ status: 'denied' }), T0 + 300_000, 'reschedule', 'expired'],
    ['redeemed at expiry', state({ status: 'redeemed' }), T0 + 300_000, 'delete', undefined],
    ['expired, grace not over', state({ status: 'expired' }), T0 + 300_000 + 1_000, 'reschedule', undefined],
    ['expired, grace over', state({ status: 'expired' }), T0 + 300_000 + EXPIRED_GRACE_MS, 'delete', undefined],
  ];
  it.each(cases)('%s', (_name, before, now, outcome, after) => {
    const result = expire(before, now);
    expect(result.outcome.status).toBe(outcome);
    expect(result.next?.status).toBe(after);
  });

  it('reschedules for the end of the grace period at expiry', () => {
    expect(expire(state(), T0 + 300_000).outcome).toEqual({ status: 'reschedule', at: T0 + 300_000 + EXPIRED_GRACE_MS });
    expect(expire(state(), T0 + 1).outcome).toEqual({ status: 'reschedule', at: T0 + 300_000 });
  });
});

describe('delivery (ping and push)', () => {
  const delivery = (mode: Delivery['mode']): Delivery => ({ mode, endpoint: 'https://rp.example/cb', secretsJwe: 'sealed' });
  const approve: DecisionInput = { ok: true, status: 'approved', approval };
  const deny: DecisionInput = { ok: true, status: 'denied' };

  it.each([
    ['poll', undefined, approve, undefined],
    ['ping, approved', delivery('ping'), approve, 'ping'],
    ['ping, denied', delivery('ping'), deny, 'ping'],
    ['push, approved', delivery('push'), approve, 'push_tokens'],
    ['push, denied', delivery('push'), deny, 'push_denied'],
  ] as const)('a decision owes: %s → %s, due at once', (_name, d, input, kind) => {
    const next = decide(state(d ? { delivery: d } : {}), 'h-cb', 'inc-1', input, T0 + 10).next!;
    expect(next.outbox).toEqual(kind ? { kind, attempts: 0, dueAt: T0 + 10 } : undefined);
  });

  it('a decision before the user is bound owes nothing until binding, then owes it', () => {
    const unbound = state({ delivery: delivery('ping'), sub: undefined });
    const decided = decide(unbound, 'h-cb', 'inc-1', approve, T0 + 10).next!;
    expect(decided.outbox).toBeUndefined();
    expect(poll(decided, mine, T0 + 20).outcome.status).toBe('invalid_grant');
    const bound = bindUser(decided, { sub: 'bob', userIncarnation: 'u-9' }, T0 + 30);
    expect(bound.outcome).toEqual({ status: 'bound' });
    expect(bound.next).toMatchObject({ sub: 'bob', userIncarnation: 'u-9', outbox: { kind: 'ping', attempts: 0, dueAt: T0 + 30 } });
    expect(bound.next!.timeline.at(-1)).toMatchObject({ event: 'authenticator_answered' });
    expect(bindUser(bound.next, { sub: 'eve' }, T0 + 40).outcome).toEqual({ status: 'unknown' });
    expect(bindUser(undefined, { sub: 'eve' }, T0 + 40).outcome).toEqual({ status: 'unknown' });
  });

  it('backs off 1 s, doubling, at most 60 s apart', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map(retryDelayMs)).toEqual(
      [1, 2, 4, 8, 16, 32, 60, 60, 60].map((s) => s * 1000),
    );
  });

  const owing = (kind: Outbox['kind'], attempts = 0) =>
    state({ delivery: delivery('push'), status: 'approved', approval, outbox: { kind, attempts, dueAt: T0 } });

  it.each([
    ['delivered', 'push_tokens', { result: 'delivered', status: 200 }, undefined],
    ['refused (3xx, 4xx): final', 'ping', { result: 'refused', status: 404 }, undefined],
    ['failed: retried after the backoff', 'push_tokens', { result: 'failed', status: 500 }, { attempts: 3, dueAt: T0 + 5_000 + 4_000 }],
    ['failed expiry notice: never retried', 'push_expired', { result: 'failed' }, undefined],
  ] as const)('an attempt %s', (_name, kind, attempt, outbox) => {
    const result = afterAttempt(owing(kind, 2), kind, attempt, T0 + 5_000);
    expect(result.outcome).toEqual({ status: 'recorded' });
    expect(result.next!.outbox).toEqual(outbox ? { kind, ...outbox } : undefined);
    expect(result.next!.timeline.at(-1)).toEqual({
      at: T0 + 5_000,
      event: 'delivery_attempted',
      detail: { kind, attempt: 3, result: attempt.result, ...('status' in attempt ? { status: attempt.status } : {}) },
    });
  });

  it('an attempt whose outbox changed meanwhile changes nothing', () => {
    expect(afterAttempt(owing('push_denied'), 'ping', { result: 'delivered' }, T0).outcome).toEqual({ status: 'stale' });
    expect(afterAttempt(state(), 'ping', { result: 'delivered' }, T0).outcome).toEqual({ status: 'stale' });
  });

  it('minting push tokens spends the grant and keeps them sealed for the retries', () => {
    const minted = tokensMinted(owing('push_tokens'), 'sealed-tokens', T0 + 1);
    expect(minted).toMatchObject({ status: 'redeemed', outbox: { kind: 'push_tokens', bodyJwe: 'sealed-tokens' } });
    expect(minted.timeline.at(-1)).toMatchObject({ event: 'tokens_issued' });
  });

  it('the alarm comes back for the earlier of expiry and the next attempt', () => {
    expect(expire(owing('ping'), T0 + 1).outcome).toEqual({ status: 'reschedule', at: T0 });
    expect(expire(state({ outbox: { kind: 'ping', attempts: 1, dueAt: T0 + 400_000 } }), T0 + 1).outcome).toEqual({
      status: 'reschedule',
      at: T0 + 300_000,
    });
  });

  it('at expiry an owed delivery is abandoned; pushed tokens never delivered are deleted with the request', () => {
    const ping = expire(state({ delivery: delivery('ping'), status: 'approved', approval, outbox: { kind: 'ping', attempts: 4, dueAt: T0 + 300_500 } }), T0 + 300_000);
    expect(ping.next!.outbox).toBeUndefined();
    expect(ping.next!.timeline.map((e) => e.event)).toEqual(['expired', 'delivery_abandoned']);
    const pushed = tokensMinted(owing('push_tokens'), 'sealed-tokens', T0 + 1);
    expect(expire(pushed, T0 + 300_000).outcome).toEqual({ status: 'delete' });
  });

  it('a push client whose user never answered is told expired_token, once, right at expiry', () => {
    const result = expire(state({ delivery: delivery('push') }), T0 + 300_000);
    expect(result.next!.outbox).toEqual({ kind: 'push_expired', attempts: 0, dueAt: T0 + 300_000 });
    expect(result.outcome).toEqual({ status: 'reschedule', at: T0 + 300_000 });
    // A ping client is told nothing.
    expect(expire(state({ delivery: delivery('ping') }), T0 + 300_000).next!.outbox).toBeUndefined();
  });
});
