// Deleting a tenant at scale (issue 9): DELETE deletes only the tenant record and hands the rest to
// a TenantSweeper, which deletes the incarnation's records in batches from its alarm; a tenant
// re-created under the same id, even while the sweep is under way, inherits nothing.
import { env } from 'cloudflare:workers';
import { runDurableObjectAlarm } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tenantPrefix, type TenantRef } from '../../../src/tenants/ref.ts';
import { SWEEP_BATCH, TenantSweeper, tenantSweeperStub } from '../../../src/cascades/sweeper.ts';
import {
  admin,
  backchannel,
  call,
  createClient,
  createTenant,
  createUser,
  devicePage,
  startRequest,
  tenantRef,
} from '../../helpers/api.ts';
import { expectOAuthError } from '../../helpers/oauth.ts';

const USERS = 60;
const CLIENTS = 10;

const keysUnder = async (prefix: string) => {
  const names: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.CONFIG.list({ prefix, ...(cursor ? { cursor } : {}) });
    names.push(...page.keys.map((k) => k.name));
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return names;
};

/** Runs the sweeper's alarm until the sweep has finished. */
async function sweepToTheEnd(ref: TenantRef): Promise<void> {
  const stub = tenantSweeperStub(env, ref);
  for (let i = 0; i < 100 && (await stub.status()) !== undefined; i++) await runDurableObjectAlarm(stub);
  expect(await stub.status()).toBeUndefined();
}

afterEach(() => vi.restoreAllMocks());

describe('deleting a tenant at scale', () => {
  it(`sweeps ${USERS} users and ${CLIENTS} clients in batches of ${SWEEP_BATCH}, and a tenant re-created meanwhile inherits nothing`, async () => {
    const runs = vi.spyOn(TenantSweeper.prototype, 'alarm');
    const tenant = await createTenant();
    const clients = [];
    for (let i = 0; i < CLIENTS; i++) clients.push(await createClient(tenant));
    await Promise.all(
      Array.from({ length: USERS }, (_, i) =>
        createUser(tenant, `user-${i}`, { login_hints: [`user-${i}@example.com`], claims: {} }),
      ),
    );
    await createUser(tenant, 'alice');
    await startRequest(tenant, clients[0]!); // pending on alice's device
    const old = await tenantRef(tenant);
    const oldKeys = await keysUnder(tenantPrefix(old));
    expect(oldKeys.length).toBe(1 + CLIENTS + 2 * (USERS + 1)); // key set, clients, users and their hints
    const oldKid = ((await (await call(`/${tenant}/as/jwks`)).json()) as { keys: { kid: string }[] }).keys[0]!.kid;

    expect((await admin(`/tenants/${tenant}`, 'DELETE')).status).toBe(204);
    expect((await admin(`/tenants/${tenant}`, 'PUT', { device_page: true })).status).toBe(201);
    // The sweep is still under way (its second pass waits for KV to settle) ...
    expect(await tenantSweeperStub(env, old).status()).toBeDefined();

    // ... and the new tenant sees none of the old one: no client, no user, no hint, no key, no pending request.
    const fresh = await tenantRef(tenant);
    expect(fresh.incarnation).not.toBe(old.incarnation);
    for (const client of clients.slice(0, 3)) {
      await expectOAuthError(await admin(`/tenants/${tenant}/clients/${client.client_id}`), 404, 'invalid_request');
      await expectOAuthError(
        await backchannel(tenant, client, { scope: 'openid', login_hint: 'user-1@example.com' }),
        401,
        'invalid_client',
      );
    }
    await expectOAuthError(await admin(`/tenants/${tenant}/users/user-1`), 404, 'invalid_request');
    const jwks = (await (await call(`/${tenant}/as/jwks`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).not.toContain(oldKid);
    const client = await createClient(tenant);
    await expectOAuthError(
      await backchannel(tenant, client, { scope: 'openid', login_hint: 'user-1@example.com' }),
      400,
      'unknown_user_id',
    );
    await createUser(tenant, 'alice');
    const page = await devicePage(tenant);
    expect(page).toContain('No pending requests');
    const freshKeys = await keysUnder(tenantPrefix(fresh));

    // The sweep ends with the old incarnation's records gone and the new one's untouched.
    await sweepToTheEnd(old);
    expect(await keysUnder(tenantPrefix(old))).toEqual([]);
    expect(await keysUnder(tenantPrefix(fresh))).toEqual(freshKeys);
    expect((await admin(`/tenants/${tenant}/clients/${client.client_id}`)).status).toBe(200);
    expect((await admin(`/tenants/${tenant}/users/alice`)).status).toBe(200);
    // One run per batch, plus the second pass: no run came near the platform's per-invocation limits.
    expect(runs.mock.calls.length).toBeGreaterThanOrEqual(Math.ceil(oldKeys.length / SWEEP_BATCH) + 1);
  });

  it('the second pass deletes a record written under the old incarnation after the first pass', async () => {
    const tenant = await createTenant();
    const old = await tenantRef(tenant);
    expect((await admin(`/tenants/${tenant}`, 'DELETE')).status).toBe(204);
    const stub = tenantSweeperStub(env, old);
    // The first pass runs at once; the second is scheduled for after KV has settled.
    await vi.waitFor(async () => expect(await stub.status()).toMatchObject({ pass: 2 }), { timeout: 5000 });
    // A request that resolved the tenant before the deletion writes a user afterwards.
    const straggler = `${tenantPrefix(old)}user:late`;
    await env.CONFIG.put(straggler, '{}');
    await sweepToTheEnd(old);
    expect(await env.CONFIG.get(straggler)).toBeNull();
  });

  it('a DELETE retried after the sweep started keeps the sweep where it is', async () => {
    const ref = { id: 'retried', incarnation: 'i1' };
    const stub = tenantSweeperStub(env, ref);
    for (let i = 0; i < SWEEP_BATCH + 5; i++) await env.CONFIG.put(`${tenantPrefix(ref)}user:${i}`, '{}');
    await stub.start(tenantPrefix(ref));
    await vi.waitFor(async () => expect((await stub.status())?.deleted).toBe(SWEEP_BATCH + 5), { timeout: 5000 });
    await stub.start(tenantPrefix(ref));
    expect(await stub.status()).toMatchObject({ pass: 2, deleted: SWEEP_BATCH + 5 });
    await sweepToTheEnd(ref);
    expect(await keysUnder(tenantPrefix(ref))).toEqual([]);
  });
});
