// Admin API: signing keys (contract §6): POST /admin/tenants/{t}/keys/rotate publishes the new key at
// once and signs with it once /jwks caches have expired (or at once, in an emergency); the old one
// stays in /jwks until the tokens it signed have expired, then leaves.
import { env } from 'cloudflare:workers';
import { decodeProtectedHeader } from 'jose';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { keysKey, type KeySet } from '../../../src/keys/store.ts';
import { admin, approve, call, createTenant, poll, setup, startRequest, putRecord, tenantRef, uniqueTenantId } from '../../helpers/api.ts';
import { B64URL } from '../../helpers/admin.ts';
import { expectOAuthError } from '../../helpers/oauth.ts';

const kidsOf = async (tenant: string) =>
  ((await (await call(`/${tenant}/as/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);

/** Moves every retired key's retirement `seconds` into the past. */
async function ageRetired(tenant: string, seconds: number) {
  const key = keysKey(await tenantRef(tenant));
  const keySet = (await env.CONFIG.get<KeySet>(key, 'json'))!;
  const aged = keySet.keys.map((k) => (k.retiredAt === undefined ? k : { ...k, retiredAt: k.retiredAt - seconds * 1000 }));
  await putRecord(key, JSON.stringify({ keys: aged }));
}

/**
 * Stops the clock for each test of the block. The checks stand one second either side of the end of a
 * retired key's publication; a second boundary falling between a rotation and the check would move
 * that end by a second, so with a running clock the checks failed now and then.
 */
function withFrozenClock() {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
}

describe('keys', () => {
  it('an emergency rotation: 200 {kid}; /jwks lists both keys and new tokens carry the new kid at once', async () => {
    const { tenant, client } = await setup();
    const oldKid = ((await (await call(`/${tenant}/as/jwks`)).json()) as { keys: { kid: string }[] }).keys[0]!.kid;

    const res = await admin(`/tenants/${tenant}/keys/rotate?immediate=true`, 'POST');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { kid: string };
    expect(body).toEqual({ kid: expect.stringMatching(B64URL), activates_at: expect.any(Number), immediate: true });
    expect(body.kid).not.toBe(oldKid);

    const jwks = (await (await call(`/${tenant}/as/jwks`)).json()) as { keys: { kid: string; alg: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual([body.kid, oldKid]);
    expect(jwks.keys.every((k) => k.alg === 'ES256')).toBe(true);

    const { auth_req_id } = await startRequest(tenant, client);
    await approve(tenant, auth_req_id);
    const tokenRes = await poll(tenant, client, auth_req_id);
    expect(tokenRes.status).toBe(200);
    const tokens = (await tokenRes.json()) as { access_token: string; id_token: string };
    expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({ kid: body.kid, alg: 'ES256', typ: 'at+jwt' });
    expect(decodeProtectedHeader(tokens.id_token)).toMatchObject({ kid: body.kid, alg: 'ES256' });
  });

  it('a planned rotation publishes the new key at once and signs with it once /jwks caches have expired', async () => {
    const { tenant, client } = await setup();
    const [oldKid] = await kidsOf(tenant);
    const now = Math.floor(Date.now() / 1000);
    const body = (await (await admin(`/tenants/${tenant}/keys/rotate`, 'POST')).json()) as { kid: string; activates_at: number; immediate: boolean };
    expect(body.immediate).toBe(false);
    expect(body.activates_at - now).toBeGreaterThanOrEqual(300);
    expect(body.activates_at - now).toBeLessThanOrEqual(301);
    expect(await kidsOf(tenant)).toEqual([body.kid, oldKid]);
    const kidOfNewTokens = async () => {
      const { auth_req_id } = await startRequest(tenant, client);
      await approve(tenant, auth_req_id);
      const tokens = (await (await poll(tenant, client, auth_req_id)).json()) as { id_token: string };
      return decodeProtectedHeader(tokens.id_token).kid;
    };
    expect(await kidOfNewTokens()).toBe(oldKid);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime((body.activates_at + 1) * 1000);
      expect(await kidOfNewTokens()).toBe(body.kid);
      // The old key stays published for the tokens it signed.
      expect(await kidsOf(tenant)).toEqual([body.kid, oldKid]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('rotates with the tenant signing_alg', async () => {
    const tenant = await createTenant({ signing_alg: 'PS256' });
    const { kid } = (await (await admin(`/tenants/${tenant}/keys/rotate`, 'POST')).json()) as { kid: string };
    const jwks = (await (await call(`/${tenant}/as/jwks`)).json()) as { keys: Record<string, string>[] };
    expect(jwks.keys[0]).toMatchObject({ kid, alg: 'PS256', kty: 'RSA' });
    expect(jwks.keys).toHaveLength(2);
  });

  it('answers 404 for an unknown tenant and 405 for GET', async () => {
    await expectOAuthError(await admin(`/tenants/${uniqueTenantId()}/keys/rotate`, 'POST'), 404, 'invalid_request');
    const tenant = await createTenant();
    const res = await admin(`/tenants/${tenant}/keys/rotate`);
    await expectOAuthError(res, 405, 'invalid_request');
    expect(res.headers.get('Allow')).toBe('POST');
  });
});

describe('retiring rotated keys', () => {
  withFrozenClock();

  it('keeps a retired key published for the longest token lifetime, then drops it', async () => {
    const tenant = await createTenant({ access_token_ttl: 600, id_token_ttl: 900 });
    const [first] = await kidsOf(tenant);
    const { kid: second } = (await (await admin(`/tenants/${tenant}/keys/rotate?immediate=true`, 'POST')).json()) as { kid: string };
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
    const stored = (await env.CONFIG.get<KeySet>(keysKey(await tenantRef(tenant)), 'json'))!;
    expect(stored.keys.map((k) => k.kid)).toEqual([third, second]);
  });

  it('a change of signing_alg retires the old key the same way', async () => {
    const tenant = await createTenant();
    const [first] = await kidsOf(tenant);
    expect((await admin(`/tenants/${tenant}`, 'PUT', { signing_alg: 'EdDSA' })).status).toBe(200);
    const kids = await kidsOf(tenant);
    expect(kids).toHaveLength(2);
    expect(kids[1]).toBe(first);
    // The old key signs until its successor starts, once /jwks caches have expired (300 s).
    await ageRetired(tenant, 300 + 3600);
    expect(await kidsOf(tenant)).toEqual([kids[0]]);
  });
});

describe('a retired key outlives every token it signed, whatever the lifetimes become', () => {
  withFrozenClock();

  it('lowering the lifetimes after a rotation does not unpublish the retired key', async () => {
    const tenant = await createTenant();
    const [first] = await kidsOf(tenant);
    await admin(`/tenants/${tenant}/keys/rotate?immediate=true`, 'POST');
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
    await admin(`/tenants/${tenant}/keys/rotate?immediate=true`, 'POST');
    await ageRetired(tenant, 7199);
    expect(await kidsOf(tenant)).toContain(first);
    await ageRetired(tenant, 2);
    expect(await kidsOf(tenant)).not.toContain(first);
  });

  it('raising the lifetimes while a key signs keeps it published for the longer lifetime', async () => {
    const tenant = await createTenant({ access_token_ttl: 60, id_token_ttl: 60 });
    const [first] = await kidsOf(tenant);
    expect((await admin(`/tenants/${tenant}`, 'PUT', { access_token_ttl: 60, id_token_ttl: 5000 })).status).toBe(200);
    await admin(`/tenants/${tenant}/keys/rotate?immediate=true`, 'POST');
    await ageRetired(tenant, 4999);
    expect(await kidsOf(tenant)).toContain(first);
    await ageRetired(tenant, 2);
    expect(await kidsOf(tenant)).not.toContain(first);
  });

  it('the key that retires when signing_alg changes keeps the lifetimes it signed under', async () => {
    const tenant = await createTenant();
    const [first] = await kidsOf(tenant);
    expect((await admin(`/tenants/${tenant}`, 'PUT', { signing_alg: 'PS256', access_token_ttl: 1, id_token_ttl: 1 })).status).toBe(200);
    // It signs until its successor starts, once /jwks caches have expired (300 s).
    await ageRetired(tenant, 300 + 3599);
    expect(await kidsOf(tenant)).toContain(first);
    await ageRetired(tenant, 2);
    expect(await kidsOf(tenant)).not.toContain(first);
  });
});

describe('key sets stored before the clock was one (instants in epoch seconds)', () => {
  it('are read in milliseconds: the retired key stays published, the new one signs, the admin API shows the same seconds', async () => {
    const { tenant, client } = await setup();
    await admin(`/tenants/${tenant}/keys/rotate?immediate=true`, 'POST');
    const key = keysKey(await tenantRef(tenant));
    const stored = (await env.CONFIG.get<KeySet>(key, 'json'))!;
    const seconds = (ms: number | undefined) => (ms === undefined ? undefined : Math.floor(ms / 1000));
    const inSeconds = stored.keys.map((k) => ({ ...k, createdAt: seconds(k.createdAt)!, activatesAt: seconds(k.activatesAt), retiredAt: seconds(k.retiredAt) }));
    expect(inSeconds[1]!.retiredAt).toBeLessThan(1e11);
    await putRecord(key, JSON.stringify({ keys: inSeconds }));
    const [signing, retired] = inSeconds;
    expect(await kidsOf(tenant)).toEqual([signing!.kid, retired!.kid]);
    const view = (await (await admin(`/tenants/${tenant}`)).json()) as { signing_keys: { kid: string; created_at: number; retired_at?: number }[] };
    expect(view.signing_keys.map((k) => [k.kid, k.created_at, k.retired_at])).toEqual(inSeconds.map((k) => [k.kid, k.createdAt, k.retiredAt]));
    const { auth_req_id } = await startRequest(tenant, client);
    await approve(tenant, auth_req_id);
    const tokens = (await (await poll(tenant, client, auth_req_id)).json()) as { id_token: string };
    expect(decodeProtectedHeader(tokens.id_token).kid).toBe(signing!.kid);
  });
});
