// Key rotation (contract §6): the new key signs at once; the old one stays in /jwks until the tokens
// it signed have expired, then leaves.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { KeySet } from '../../src/keys/store.ts';
import { admin, call, createTenant } from '../helpers/api.ts';

const kidsOf = async (tenant: string) =>
  ((await (await call(`/${tenant}/as/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);

/** Moves every retired key's retirement `seconds` into the past. */
async function ageRetired(tenant: string, seconds: number) {
  const keySet = (await env.CONFIG.get<KeySet>(`tenant:${tenant}:keys`, 'json'))!;
  const aged = keySet.keys.map((k) => (k.retiredAt === undefined ? k : { ...k, retiredAt: k.retiredAt - seconds }));
  await env.CONFIG.put(`tenant:${tenant}:keys`, JSON.stringify({ keys: aged }));
}

describe('retiring rotated keys', () => {
  it('keeps a retired key published for the longest token lifetime, then drops it', async () => {
    const tenant = await createTenant({ access_token_ttl: 600, id_token_ttl: 900 });
    const [first] = await kidsOf(tenant);
    const { kid: second } = (await (await admin(`/tenants/${tenant}/keys/rotate`, 'POST')).json()) as { kid: string };
    expect(await kidsOf(tenant)).toEqual([second, first]);

    const view = (await (await admin(`/tenants/${tenant}`)).json()) as { signing_keys: { kid: string; retired_at?: number }[] };
    expect(view.signing_keys[0]).not.toHaveProperty('retired_at');
    expect(view.signing_keys[1]!.retired_at).toEqual(expect.any(Number));

    await ageRetired(tenant, 899);
    expect(await kidsOf(tenant)).toEqual([second, first]);
    await ageRetired(tenant, 2);
    expect(await kidsOf(tenant)).toEqual([second]);

    // The next rotation removes it from storage too.
    const { kid: third } = (await (await admin(`/tenants/${tenant}/keys/rotate`, 'POST')).json()) as { kid: string };
    const stored = (await env.CONFIG.get<KeySet>(`tenant:${tenant}:keys`, 'json'))!;
    expect(stored.keys.map((k) => k.kid)).toEqual([third, second]);
  });

  it('a change of signing_alg retires the old key the same way', async () => {
    const tenant = await createTenant();
    const [first] = await kidsOf(tenant);
    expect((await admin(`/tenants/${tenant}`, 'PUT', { signing_alg: 'EdDSA' })).status).toBe(200);
    const kids = await kidsOf(tenant);
    expect(kids).toHaveLength(2);
    expect(kids[1]).toBe(first);
    await ageRetired(tenant, 3600);
    expect(await kidsOf(tenant)).toEqual([kids[0]]);
  });
});

describe('a retired key outlives every token it signed, whatever the lifetimes become', () => {
  it('lowering the lifetimes after a rotation does not unpublish the retired key', async () => {
    const tenant = await createTenant();
    const [first] = await kidsOf(tenant);
    await admin(`/tenants/${tenant}/keys/rotate`, 'POST');
    expect((await admin(`/tenants/${tenant}`, 'PUT', { access_token_ttl: 1, id_token_ttl: 1 })).status).toBe(200);
    expect(await kidsOf(tenant)).toContain(first);
    await ageRetired(tenant, 3599);
    expect(await kidsOf(tenant)).toContain(first);
    await ageRetired(tenant, 2);
    expect(await kidsOf(tenant)).not.toContain(first);
  });

  it('lowering the lifetimes before a rotation keeps the key for the longest lifetime it signed under', async () => {
    const tenant = await createTenant({ access_token_ttl: 7200 });
    const [first] = await kidsOf(tenant);
    expect((await admin(`/tenants/${tenant}`, 'PUT', { access_token_ttl: 60, id_token_ttl: 60 })).status).toBe(200);
    await admin(`/tenants/${tenant}/keys/rotate`, 'POST');
    await ageRetired(tenant, 7199);
    expect(await kidsOf(tenant)).toContain(first);
    await ageRetired(tenant, 2);
    expect(await kidsOf(tenant)).not.toContain(first);
  });

  it('raising the lifetimes while a key signs keeps it published for the longer lifetime', async () => {
    const tenant = await createTenant({ access_token_ttl: 60, id_token_ttl: 60 });
    const [first] = await kidsOf(tenant);
    expect((await admin(`/tenants/${tenant}`, 'PUT', { access_token_ttl: 60, id_token_ttl: 5000 })).status).toBe(200);
    await admin(`/tenants/${tenant}/keys/rotate`, 'POST');
    await ageRetired(tenant, 4999);
    expect(await kidsOf(tenant)).toContain(first);
    await ageRetired(tenant, 2);
    expect(await kidsOf(tenant)).not.toContain(first);
  });

  it('the key that retires when signing_alg changes keeps the lifetimes it signed under', async () => {
    const tenant = await createTenant();
    const [first] = await kidsOf(tenant);
    expect((await admin(`/tenants/${tenant}`, 'PUT', { signing_alg: 'PS256', access_token_ttl: 1, id_token_ttl: 1 })).status).toBe(200);
    await ageRetired(tenant, 3599);
    expect(await kidsOf(tenant)).toContain(first);
    await ageRetired(tenant, 2);
    expect(await kidsOf(tenant)).not.toContain(first);
  });
});
