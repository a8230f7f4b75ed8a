// Races and faults (issue 13): exactly once under a hundred concurrent polls; a decision racing
// expiry ends in one outcome; a request's object evicted from memory mid-flow keeps its state.
import { env } from 'cloudflare:workers';
import { evictDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { authRequestStub } from '../../src/ciba/auth-req-id.ts';
import { admin, approve, callback, callbackTokenFor, poll, requestIdOf, setup, startRequest } from '../helpers/api.ts';
import { expectOAuthError } from '../helpers/oauth.ts';

describe('races', () => {
  it('a hundred concurrent polls after approval give exactly one 200', async () => {
    const { tenant, client } = await setup();
    const { auth_req_id } = await startRequest(tenant, client);
    await approve(tenant, auth_req_id);
    const answers = await Promise.all(Array.from({ length: 100 }, () => poll(tenant, client, auth_req_id)));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    const errors = await Promise.all(answers.filter((r) => r.status !== 200).map(async (r) => ((await r.json()) as { error: string }).error));
    expect(errors).toHaveLength(99);
    expect(new Set(errors)).toEqual(new Set(['invalid_grant']));
  });

  it('a decision racing expiry ends in one outcome, and no tokens after expiry', async () => {
    const { tenant, client } = await setup();
    for (let i = 0; i < 3; i++) {
      const { auth_req_id } = await startRequest(tenant, client, { requested_expiry: '1' });
      const token = await callbackTokenFor(tenant, auth_req_id);
      await new Promise((r) => setTimeout(r, 950 + i * 40));
      const decided = await callback(tenant, token, { status: 'approved', authentication_method: 'smart-id' });
      expect([204, 410]).toContain(decided.status);
      await new Promise((r) => setTimeout(r, 300));
      // Approved just in time or not, once past expiry the request is expired, never redeemed.
      await expectOAuthError(await poll(tenant, client, auth_req_id), 400, 'expired_token');
      const { events } = (await (await admin(`/tenants/${tenant}/requests/${requestIdOf(auth_req_id)}`)).json()) as {
        events: { event: string }[];
      };
      const names = events.map((e) => e.event);
      expect(names.filter((e) => e === 'expired')).toHaveLength(1);
      expect(names.includes('approved')).toBe(decided.status === 204);
      expect(names).not.toContain('redeemed');
    }
  });
});

describe('faults', () => {
  it('a request object evicted from memory at every step keeps its state', async () => {
    const { tenant, client } = await setup();
    const { auth_req_id } = await startRequest(tenant, client);
    const stub = () => authRequestStub(env, { id: tenant, settings: {} }, requestIdOf(auth_req_id));
    await evictDurableObject(stub());
    await expectOAuthError(await poll(tenant, client, auth_req_id), 400, 'authorization_pending');
    await evictDurableObject(stub());
    await approve(tenant, auth_req_id);
    await evictDurableObject(stub());
    expect((await poll(tenant, client, auth_req_id)).status).toBe(200);
    await evictDurableObject(stub());
    await expectOAuthError(await poll(tenant, client, auth_req_id), 400, 'invalid_grant');
  });
});
