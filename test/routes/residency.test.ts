// Data residency (contract §8): a tenant created with a jurisdiction keeps its requests', grants'
// and device inboxes' Durable Objects in it; the setting is fixed at creation.
import { env } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { authRequestStub } from '../../src/ciba/auth-req-id.ts';
import { placed } from '../../src/tenants/ref.ts';
import {
  admin,
  approve,
  createClient,
  createTenant,
  createUser,
  poll,
  requestIdOf,
  startRequest,
  tenantRef,
  uniqueTenantId,
} from '../helpers/api.ts';
import { expectOAuthError } from '../helpers/oauth.ts';

describe('jurisdiction', () => {
  it('is shown by the admin API and fixed at creation', async () => {
    const tenant = await createTenant({ jurisdiction: 'eu' });
    expect(await (await admin(`/tenants/${tenant}`)).json()).toMatchObject({ jurisdiction: 'eu' });
    for (const changed of [{}, { jurisdiction: 'fedramp' }]) {
      const res = await admin(`/tenants/${tenant}`, 'PUT', changed);
      expect((await expectOAuthError(res, 400, 'invalid_request')).error_description).toMatch(/jurisdiction/);
    }
    expect((await admin(`/tenants/${tenant}`, 'PUT', { jurisdiction: 'eu', poll_interval: 7 })).status).toBe(200);
    const plain = await createTenant();
    const res = await admin(`/tenants/${plain}`, 'PUT', { jurisdiction: 'eu' });
    expect((await expectOAuthError(res, 400, 'invalid_request')).error_description).toMatch(/jurisdiction/);
  });

  it('accepts only eu and fedramp', async () => {
    for (const jurisdiction of ['us', 'EU', '', 42]) {
      const res = await admin(`/tenants/${uniqueTenantId()}`, 'PUT', { jurisdiction });
      expect((await expectOAuthError(res, 400, 'invalid_request')).error_description).toMatch(/jurisdiction/);
    }
  });

  it.each(['eu', 'fedramp'])('a %s tenant works end to end on the local runtime, which has no jurisdictions', async (jurisdiction) => {
    const tenant = await createTenant({ jurisdiction });
    await createUser(tenant);
    const client = await createClient(tenant, { grant_types: ['urn:openid:params:grant-type:ciba', 'refresh_token'] });
    const { auth_req_id } = await startRequest(tenant, client);
    // workerd throws on namespace.jurisdiction(); in the test environment the plain namespace is chosen.
    const stub = authRequestStub(env, await tenantRef(tenant), requestIdOf(auth_req_id));
    expect(await runInDurableObject(stub, (_i, s) => s.storage.kv.get('state') !== undefined)).toBe(true);
    await approve(tenant, auth_req_id);
    expect((await poll(tenant, client, auth_req_id)).status).toBe(200);
  });
});

describe('choosing the namespace', () => {
  /** A stand-in for the platform's namespace that records which jurisdiction was asked for. */
  const recording = () => {
    const asked: string[] = [];
    const inJurisdiction = { inJurisdiction: true } as unknown as DurableObjectNamespace;
    const namespace = {
      jurisdiction: (j: string) => {
        asked.push(j);
        return inJurisdiction;
      },
    } as unknown as DurableObjectNamespace;
    return { asked, namespace, inJurisdiction };
  };

  it.each(['eu', 'fedramp'] as const)('in production a %s tenant gets the %s namespace', (jurisdiction) => {
    const { asked, namespace, inJurisdiction } = recording();
    expect(placed('production', namespace, { id: 't', settings: { jurisdiction } })).toBe(inJurisdiction);
    expect(asked).toEqual([jurisdiction]);
  });

  it('a tenant without a jurisdiction, and any tenant on the local runtime, get the plain namespace', () => {
    const { asked, namespace } = recording();
    expect(placed('production', namespace, { id: 't', settings: {} })).toBe(namespace);
    expect(placed('development', namespace, { id: 't', settings: { jurisdiction: 'eu' } })).toBe(namespace);
    expect(placed('test', namespace, { id: 't', settings: { jurisdiction: 'eu' } })).toBe(namespace);
    expect(asked).toEqual([]);
  });
});
