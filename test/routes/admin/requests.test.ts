// Admin API: request timelines (contract §6): GET /admin/tenants/{t}/requests/{request_id} shows the
// events of a request and never a token, secret or hash.
import { describe, expect, it } from 'vitest';
import {
  admin,
  approve,
  callbackTokenFor,
  createTenant,
  poll,
  requestIdOf,
  setup,
  startRequest,
  uniqueTenantId,
} from '../../helpers/api.ts';
import { expectOAuthError } from '../../helpers/oauth.ts';
import { sha256 } from '../../../src/lib/crypto.ts';

describe('request timelines', () => {
  it('answers 400 for a malformed request id', async () => {
    const tenant = await createTenant();
    for (const id of ['short', 'x'.repeat(23), '!!!!!!!!!!!!!!!!!!!!!!']) {
      await expectOAuthError(await admin(`/tenants/${tenant}/requests/${encodeURIComponent(id)}`), 400, 'invalid_request');
    }
  });

  it('answers 400 for a full auth_req_id given as the request id (it is not one)', async () => {
    const { tenant, client } = await setup();
    const { auth_req_id } = await startRequest(tenant, client);
    await expectOAuthError(await admin(`/tenants/${tenant}/requests/${auth_req_id}`), 400, 'invalid_request');
  });

  it('answers 404 for an unknown request id', async () => {
    const tenant = await createTenant();
    await expectOAuthError(await admin(`/tenants/${tenant}/requests/AAAAAAAAAAAAAAAAAAAAAA`), 404, 'invalid_request');
  });

  it('answers 404 for a request of another tenant, and for an unknown tenant', async () => {
    const { tenant, client } = await setup();
    const other = await createTenant();
    const requestId = requestIdOf((await startRequest(tenant, client)).auth_req_id);
    await expectOAuthError(await admin(`/tenants/${other}/requests/${requestId}`), 404, 'invalid_request');
    await expectOAuthError(await admin(`/tenants/${uniqueTenantId()}/requests/${requestId}`), 404, 'invalid_request');
  });

  it('shows a real request timeline (created, polled) with no token, secret or hash', async () => {
    const { tenant, client } = await setup();
    const { auth_req_id } = await startRequest(tenant, client);
    const pollRes = await poll(tenant, client, auth_req_id);
    await expectOAuthError(pollRes, 400, 'authorization_pending');
    const requestId = requestIdOf(auth_req_id);
    const callbackToken = await callbackTokenFor(tenant, auth_req_id);

    const res = await admin(`/tenants/${tenant}/requests/${requestId}`);
    expect(res.status).toBe(200);
    const text = await res.text();
    const body = JSON.parse(text) as { request_id: string; status: string; events: { at: string; event: string }[] };
    expect(body.request_id).toBe(requestId);
    expect(body.status).toBe('pending');
    const names = body.events.map((e) => e.event);
    expect(names).toContain('created');
    expect(names).toContain('polled');
    expect(names.indexOf('created')).toBeLessThan(names.indexOf('polled'));
    for (const e of body.events) expect(new Date(e.at).toISOString()).toBe(e.at);

    expect(text).not.toContain(auth_req_id);
    expect(text).not.toContain(auth_req_id.slice(22));
    expect(text).not.toContain(callbackToken);
    expect(text).not.toContain(callbackToken.slice(22));
    expect(text).not.toContain(await sha256(auth_req_id));
    expect(text).not.toContain(await sha256(callbackToken));
    expect(text).not.toMatch(/hash|auth_req_id|callback_token|secret/i);
  });

  it('records the approval and the redemption, still without tokens', async () => {
    const { tenant, client } = await setup();
    const { auth_req_id } = await startRequest(tenant, client);
    await approve(tenant, auth_req_id);
    const tokens = (await (await poll(tenant, client, auth_req_id)).json()) as { access_token: string; id_token: string };
    const text = await (await admin(`/tenants/${tenant}/requests/${requestIdOf(auth_req_id)}`)).text();
    const body = JSON.parse(text) as { status: string; events: { event: string }[] };
    expect(body.status).toBe('redeemed');
    expect(body.events.map((e) => e.event)).toEqual(expect.arrayContaining(['created', 'approved', 'redeemed']));
    expect(text).not.toContain(auth_req_id.slice(22));
    expect(text).not.toContain(tokens.access_token);
    expect(text).not.toContain(tokens.id_token);
    expect(text).not.toContain(tokens.access_token.split('.')[2]!);
  });
});
