// Per-isolate caching of tenant, client and key records (issue 13, src/lib/isolate-cache.ts): a
// record is reused for ISOLATE_CACHE_TTL_MS; a write through this isolate takes effect at once; a
// change made elsewhere (here: behind the server's back) is seen within the bound.
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { clientKey } from '../../src/clients/store.ts';
import { ISOLATE_CACHE_TTL_MS } from '../../src/lib/isolate-cache.ts';
import { tenantKey } from '../../src/tenants/store.ts';
import { admin, call, setup, startRequest, tenantRef } from '../helpers/api.ts';
import { expectOAuthError } from '../helpers/oauth.ts';

afterEach(() => vi.useRealTimers());

describe('the isolate cache', () => {
  it('a client deleted elsewhere still authenticates here until the bound, then not', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    const { tenant, client } = await setup();
    await startRequest(tenant, client); // reads (and caches) the client
    await env.CONFIG.delete(clientKey(await tenantRef(tenant), client.client_id)); // another location's write
    await startRequest(tenant, client);
    vi.setSystemTime(Date.now() + ISOLATE_CACHE_TTL_MS + 1);
    await expectOAuthError(
      await call(`/${tenant}/as/cibaAuthorization`, {
        method: 'POST',
        headers: { Authorization: `Basic ${btoa(`${client.client_id}:${client.client_secret}`)}`, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ scope: 'openid', login_hint: 'alice@example.com' }),
      }),
      401,
      'invalid_client',
    );
  });

  it('a tenant deleted elsewhere resolves here until the bound; one deleted through this isolate is gone at once', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    const { tenant } = await setup();
    expect((await call(`/${tenant}/as/jwks`)).status).toBe(200);
    await env.CONFIG.delete(tenantKey(tenant));
    expect((await call(`/${tenant}/as/jwks`)).status).toBe(200);
    vi.setSystemTime(Date.now() + ISOLATE_CACHE_TTL_MS + 1);
    await expectOAuthError(await call(`/${tenant}/as/jwks`), 404, 'invalid_request');

    const other = (await setup()).tenant;
    expect((await call(`/${other}/as/jwks`)).status).toBe(200);
    expect((await admin(`/tenants/${other}`, 'DELETE')).status).toBe(204);
    await expectOAuthError(await call(`/${other}/as/jwks`), 404, 'invalid_request');
  });

  it('a secret rotated through this isolate stops working at once', async () => {
    const { tenant, client } = await setup();
    await startRequest(tenant, client);
    const rotated = await admin(`/tenants/${tenant}/clients/${client.client_id}/secret`, 'POST');
    expect(rotated.status).toBe(200);
    const res = await call(`/${tenant}/as/cibaAuthorization`, {
      method: 'POST',
      headers: { Authorization: `Basic ${btoa(`${client.client_id}:${client.client_secret}`)}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ scope: 'openid', login_hint: 'alice@example.com' }),
    });
    await expectOAuthError(res, 401, 'invalid_client');
  });
});
