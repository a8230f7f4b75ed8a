// Rotating KEY_ENCRYPTION_SECRET without losing a tenant (docs/operations.md): while
// KEY_ENCRYPTION_SECRET_PREVIOUS holds the old value, everything sealed under it still opens;
// POST /admin/tenants/{tenant}/reseal re-encrypts the tenant's keys and secrets under the new one.
import { env } from 'cloudflare:workers';
import { createExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { app } from '../../../src/app.ts';
import { clientKey as clientRecordKey, type ClientRecord } from '../../../src/clients/store.ts';
import type { Env } from '../../../src/env.ts';
import { keysKey, type KeySet } from '../../../src/keys/store.ts';
import { openSecret } from '../../../src/secrets.ts';
import { tenantKey, type TenantRecord } from '../../../src/tenants/store.ts';
import { ADMIN_TOKEN, ORIGIN, createClient, createTenant, createUser } from '../../helpers/api.ts';
import { WEBHOOK_SECRET } from '../../helpers/receiver.ts';

const OLD = 'test-key-encryption-secret';
const NEW = 'a brand new key-encryption secret';
const rotating: Env = { ...env, KEY_ENCRYPTION_SECRET: NEW, KEY_ENCRYPTION_SECRET_PREVIOUS: OLD };
const rotated: Env = { ...env, KEY_ENCRYPTION_SECRET: NEW };

const fetchWith = (bindings: Env, path: string, init: RequestInit = {}) =>
  Promise.resolve(app.fetch(new Request(`${ORIGIN}${path}`, init), bindings, createExecutionContext()));

async function sealedOf(tenant: string, clientId: string) {
  const record = (await env.CONFIG.get<TenantRecord>(tenantKey(tenant), 'json'))!;
  const keys = (await env.CONFIG.get<KeySet>(keysKey(record), 'json'))!.keys;
  const client = (await env.CONFIG.get<ClientRecord>(clientRecordKey(record, clientId), 'json'))!;
  const webhook = record.settings.authenticator.type === 'webhook' ? record.settings.authenticator.secretJwe : '';
  return [
    ['signing keys', keys[0]!.privateJwe],
    ['webhook secrets', webhook],
    ['client secrets', client.secretJwe!],
  ] as const;
}

describe('rotating KEY_ENCRYPTION_SECRET', () => {
  it('opens with the previous secret while rotating, and reseal moves everything to the new one', async () => {
    const tenant = await createTenant({ authenticator: { type: 'webhook', url: 'https://bank.example/ciba', secret: WEBHOOK_SECRET } });
    const client = await createClient(tenant, { token_endpoint_auth_method: 'client_secret_jwt' });
    const before = await sealedOf(tenant, client.client_id);
    for (const [purpose, jwe] of before) {
      await expect(openSecret(rotated, purpose, tenant, jwe), purpose).rejects.toThrow();
      expect(await openSecret(rotating, purpose, tenant, jwe), purpose).toEqual(expect.any(String));
    }

    const res = await fetchWith(rotating, `/admin/tenants/${tenant}/reseal`, { method: 'POST', headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ resealed: { keys: 1, clients: 1, webhook: true } });

    const after = await sealedOf(tenant, client.client_id);
    for (const [i, [purpose, jwe]] of after.entries()) {
      // The same secret inside, now sealed under the new key-encryption secret only.
      expect(await openSecret(rotated, purpose, tenant, jwe), purpose).toBe(await openSecret(rotating, purpose, tenant, before[i]![1]));
    }
  });

  it('user codes still verify while rotating', async () => {
    const tenant = await createTenant({ backchannel_user_code_parameter_supported: true });
    const client = await createClient(tenant, { backchannel_user_code_parameter: true });
    await createUser(tenant, 'alice', { login_hints: ['alice@example.com'], user_code: '4711' });
    const start = (bindings: Env, user_code: string) =>
      fetchWith(bindings, `/${tenant}/as/cibaAuthorization`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${btoa(`${client.client_id}:${client.client_secret}`)}` },
        body: new URLSearchParams({ scope: 'openid', login_hint: 'alice@example.com', user_code }).toString(),
      });
    expect((await start(rotating, '4711')).status).toBe(200);
    expect((await start(rotating, '0000')).status).toBe(400);
    // Without the previous secret the stored digest no longer matches: set user codes again before dropping it.
    expect((await start(rotated, '4711')).status).toBe(400);
  });
});
