// The UserGuard Durable Object on the real runtime: the push-bombing counts survive eviction and an
// early alarm, and the object's storage goes once nothing counts any more.
import { env } from 'cloudflare:workers';
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { USER_REQUEST_WINDOW_MS, guardByName } from '../../src/users/user-guard.ts';

let n = 0;
const fresh = () => guardByName(env, `limits/test/inc-1/guard-${n++}`);
const limits = { pendingLimit: 2, requestLimit: 5 };

describe('UserGuard', () => {
  it('counts pending requests across eviction; a release frees a slot', async () => {
    const guard = fresh();
    const soon = Date.now() + 60_000;
    expect(await guard.admit('a', soon, limits)).toEqual({ admitted: true });
    expect(await guard.admit('b', soon, limits)).toEqual({ admitted: true });
    await evictDurableObject(guard);
    expect(await guard.admit('c', soon, limits)).toMatchObject({ admitted: false, limit: 'user_pending_limit' });
    await guard.release('a');
    await evictDurableObject(guard);
    expect(await guard.admit('c', soon, limits)).toEqual({ admitted: true });
    expect(await guard.admit('d', soon, limits)).toMatchObject({ admitted: false, limit: 'user_pending_limit' });
  });

  it('an alarm that fires while entries still count deletes none of them and sets itself again for the last', async () => {
    const guard = fresh();
    const expiresAt = Date.now() + 60_000;
    await guard.admit('a', expiresAt, limits);
    await guard.admit('b', Date.now() + 120_000, limits);
    expect(await runDurableObjectAlarm(guard)).toBe(true);
    expect(await guard.admit('c', expiresAt, limits)).toMatchObject({ admitted: false, limit: 'user_pending_limit' });
    const alarm = await runInDurableObject(guard, (_i, state) => state.storage.getAlarm());
    // The start times count for the whole window, which outlasts both requests.
    expect(alarm).toBeGreaterThanOrEqual(Date.now() + USER_REQUEST_WINDOW_MS - 5_000);
  });

  it('once nothing counts, the alarm deletes everything the object holds', async () => {
    const guard = fresh();
    await guard.admit('a', Date.now() + 60_000, limits);
    // Age every entry past its time, as if the window and the request's expiry had passed.
    await runInDurableObject(guard, (_i, state) => {
      state.storage.kv.put('pending:a', Date.now() - 1);
      state.storage.kv.put('starts', [Date.now() - USER_REQUEST_WINDOW_MS - 1]);
    });
    await evictDurableObject(guard);
    expect(await runDurableObjectAlarm(guard)).toBe(true);
    expect(await runInDurableObject(guard, (_i, state) => [...state.storage.kv.list()].length)).toBe(0);
    // And it starts again from nothing.
    expect(await guard.admit('b', Date.now() + 60_000, limits)).toEqual({ admitted: true });
  });
});
