// The AuthRequest and DeviceInbox Durable Objects on the real runtime: storage, alarms, eviction.
import { env } from 'cloudflare:workers';
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { authRequestStub } from '../../src/ciba/auth-req-id.ts';
import { STATE_KEY } from '../../src/ciba/auth-request.ts';
import { deviceInboxStub, inboxEntryKey } from '../../src/authenticators/device-inbox.ts';
import { EXPIRED_GRACE_MS, type AuthRequestState } from '../../src/ciba/state.ts';

let n = 0;
function fresh(overrides: Partial<AuthRequestState> = {}) {
  const requestId = `req-${n++}`;
  const now = Date.now();
  const state: AuthRequestState = {
    tenantId: 'acme',
    tenantIncarnation: 'inc-1',
    issuer: 'https://as.example/acme/as',
    requestId,
    clientId: 'rp',
    authReqIdHash: 'h-auth',
    callbackTokenHash: 'h-cb',
    sub: 'alice',
    consent: { scope: 'openid' },
    createdAt: now,
    expiresAt: now + 60_000,
    interval: 5,
    status: 'pending',
    timeline: [],
    ...overrides,
  };
  return { state, stub: authRequestStub(env, { id: 'acme', settings: {} }, requestId) };
}
const mine = { tenantId: 'acme', tenantIncarnation: 'inc-1', clientId: 'rp', authReqIdHash: 'h-auth' };
const approve = { ok: true as const, status: 'approved' as const, approval: { authenticationMethod: 'mobile-id', authTime: 1 } };

describe('AuthRequest', () => {
  it('creates once and schedules its expiry', async () => {
    const { state, stub } = fresh();
    expect(await stub.create(state)).toEqual({ status: 'created' });
    expect(await stub.create(state)).toEqual({ status: 'exists' });
    const alarm = await runInDurableObject(stub, (_i, s) => s.storage.getAlarm());
    expect(alarm).toBe(state.expiresAt);
  });

  it('keeps its state and poll interval across eviction', async () => {
    const { state, stub } = fresh();
    await stub.create(state);
    expect(await stub.poll(mine)).toEqual({ status: 'pending' });
    await evictDurableObject(stub);
    expect(await stub.poll(mine)).toEqual({ status: 'slow_down', interval: 10 });
    await evictDurableObject(stub);
    expect(await stub.decide('h-cb', 'inc-1', approve)).toEqual({ status: 'decided', decision: 'approved' });
    await evictDurableObject(stub);
    const redeemed = await stub.poll(mine);
    expect(redeemed.status).toBe('approved');
    expect(await stub.poll(mine)).toEqual({ status: 'invalid_grant', reason: 'auth_req_id was already redeemed' });
  });

  it('redeems exactly once under twenty concurrent polls', async () => {
    const { state, stub } = fresh();
    await stub.create(state);
    await stub.decide('h-cb', 'inc-1', approve);
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => stub.poll(mine)));
    expect(outcomes.filter((o) => o.status === 'approved')).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 'invalid_grant')).toHaveLength(19);
  });

  it('expires by alarm, answers expired_token through the grace period, then forgets', async () => {
    const { state, stub } = fresh({ expiresAt: Date.now() - 1 });
    await stub.create(state);
    // An alarm set in the past may already have fired on its own; running it again is harmless.
    await runDurableObjectAlarm(stub);
    const stored = await runInDurableObject(stub, (_i, s) => ({
      state: s.storage.kv.get<AuthRequestState>(STATE_KEY),
      alarm: s.storage.getAlarm(),
    }));
    expect(stored.state?.status).toBe('expired');
    expect(await stored.alarm).toBe(state.expiresAt + EXPIRED_GRACE_MS);
    expect(await stub.poll(mine)).toEqual({ status: 'expired' });
    expect(await stub.decide('h-cb', 'inc-1', approve)).toEqual({ status: 'expired' });

    // Move the grace period into the past and let the alarm run again: the state is deleted.
    await runInDurableObject(stub, (_i, s) => {
      const current = s.storage.kv.get<AuthRequestState>(STATE_KEY)!;
      s.storage.kv.put(STATE_KEY, { ...current, expiresAt: Date.now() - EXPIRED_GRACE_MS - 1 });
    });
    // The object holds its state in memory: evicted, it reads the rewritten one.
    await evictDurableObject(stub);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.poll(mine)).toEqual({ status: 'invalid_grant', reason: 'unknown auth_req_id' });
    expect(await runInDurableObject(stub, (_i, s) => [...s.storage.kv.list()].length)).toBe(0);
  });

  it('shows a timeline only to its own tenant', async () => {
    const { state, stub } = fresh();
    await stub.create(state);
    await stub.poll(mine);
    const timeline = await stub.timeline('acme', 'inc-1');
    expect(timeline?.events.map((e) => e.event)).toEqual(['polled']);
    expect(await stub.timeline('other', 'inc-1')).toBeUndefined();
    expect(await stub.timeline('acme', 'inc-2')).toBeUndefined();
  });

  it('discards itself: no state, no alarm', async () => {
    const { state, stub } = fresh();
    await stub.create(state);
    await stub.discard();
    const left = await runInDurableObject(stub, async (_i, s) => ({ keys: [...s.storage.kv.list()].length, alarm: await s.storage.getAlarm() }));
    expect(left).toEqual({ keys: 0, alarm: null });
    expect(await stub.poll(mine)).toEqual({ status: 'invalid_grant', reason: 'unknown auth_req_id' });
  });
});

describe('records stored before the consent was named', () => {
  const flat = { scope: 'openid', bindingMessage: 'Pay 42 EUR', acrValues: ['high'], displayHash: 'd'.repeat(43), authorizationDetailsJson: '[{"type":"payment_initiation"}]' };
  const named = { scope: 'openid', bindingMessage: 'Pay 42 EUR', acrValues: ['high'], displayHash: 'd'.repeat(43), authorizationDetails: [{ type: 'payment_initiation' }] };

  it('a request of the earlier flat shape is read with its consent whole, and redeemed with it', async () => {
    const { state, stub } = fresh();
    const { consent: _consent, ...rest } = state;
    await runInDurableObject(stub, (_instance, storage) => storage.storage.kv.put(STATE_KEY, { ...rest, ...flat, resource: ['https://api.example.com/'] }));
    expect(await stub.decide('h-cb', 'inc-1', approve)).toEqual({ status: 'decided', decision: 'approved' });
    const outcome = await stub.poll(mine, 0);
    expect(outcome).toMatchObject({ status: 'approved', grant: { consent: { ...named, resource: ['https://api.example.com/'] } } });
  });

  it('an inbox entry of the earlier flat shape is listed and taken with its consent whole', async () => {
    const inbox = deviceInboxStub(env, { id: 'acme', incarnation: 'i', settings: {} }, `user-${n++}`);
    const now = Date.now();
    const entry = { requestId: 'old', clientId: 'rp', clientName: 'Bank', ...flat, createdAt: now, expiresAt: now + 60_000, callbackToken: 'secret' };
    await runInDurableObject(inbox, (_instance, storage) => storage.storage.kv.put(inboxEntryKey('old'), entry));
    expect(await inbox.list()).toEqual([{ requestId: 'old', clientId: 'rp', clientName: 'Bank', consent: named, createdAt: now, expiresAt: now + 60_000 }]);
    expect((await inbox.get('old'))?.consent).toEqual(named);
  });
});

describe('DeviceInbox', () => {
  it('lists pending entries without their callback tokens, removes answered ones, and sweeps expired ones', async () => {
    const inbox = deviceInboxStub(env, { id: 'acme', incarnation: 'i', settings: {} }, `user-${n++}`);
    const now = Date.now();
    const base = { clientId: 'rp', clientName: 'Bank', consent: { scope: 'openid' }, createdAt: now, callbackToken: 'secret' };
    await inbox.add({ ...base, requestId: 'a', expiresAt: now + 60_000 });
    await inbox.add({ ...base, requestId: 'b', expiresAt: now - 1 });
    const listed = await inbox.list();
    expect(listed.map((e) => e.requestId)).toEqual(['a']);
    expect(JSON.stringify(listed)).not.toContain('secret');
    expect((await inbox.get('a'))?.callbackToken).toBe('secret');
    expect(await inbox.get('b')).toBeUndefined();
    await inbox.remove('a');
    expect(await inbox.get('a')).toBeUndefined();
    await runDurableObjectAlarm(inbox); // 'b' expired already, so its alarm may have fired by itself
    expect(await runInDurableObject(inbox, (_i, s) => [...s.storage.kv.list()].length)).toBe(0);
  });
});
