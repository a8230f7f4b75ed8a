// POST {issuer}/ciba/callback (contract §5): 204, or 401, 400, 410, 409 in that order of precedence.
import { env } from 'cloudflare:workers';
import { evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { authRequestStub } from '../../src/ciba/auth-req-id.ts';
import { STATE_KEY } from '../../src/ciba/auth-request.ts';
import type { AuthRequestState } from '../../src/ciba/state.ts';
import { call, callback, callbackTokenFor, poll, requestIdOf, setup, startRequest, tenantRef, type TestClient } from '../helpers/api.ts';
import { expectOAuthError } from '../helpers/oauth.ts';

let tenant: string;
let client: TestClient;
beforeAll(async () => {
  ({ tenant, client } = await setup());
});

async function fresh() {
  const { auth_req_id } = await startRequest(tenant, client);
  return { authReqId: auth_req_id, token: await callbackTokenFor(tenant, auth_req_id) };
}

const approved = { status: 'approved', authentication_method: 'smart-id' };

it('approves with 204 and no body', async () => {
  const { token } = await fresh();
  const res = await callback(tenant, token, approved);
  expect(res.status).toBe(204);
  expect(await res.text()).toBe('');
});

describe('401 invalid_token', () => {
  it.each([
    ['no token', ''],
    ['a malformed token', 'not a token'],
    ['an unknown token', 'A'.repeat(54)],
  ])('%s', async (_name, token) => {
    const res = await call(`/${tenant}/as/ciba/callback`, {
      method: 'POST',
      headers: token ? { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' } : { 'Content-Type': 'application/json' },
      body: JSON.stringify(approved),
    });
    await expectOAuthError(res, 401, 'invalid_token');
    expect(res.headers.get('WWW-Authenticate')).toMatch(/^Bearer error="invalid_token"/);
  });

  it('the auth_req_id is not a callback token', async () => {
    const { authReqId } = await fresh();
    await expectOAuthError(await callback(tenant, authReqId, approved), 401, 'invalid_token');
  });

  it('a right token with a tampered secret half', async () => {
    const { token } = await fresh();
    await expectOAuthError(await callback(tenant, token.slice(0, 22) + 'B'.repeat(32), approved), 401, 'invalid_token');
  });

  it('another tenant’s callback endpoint does not know the token', async () => {
    const { token } = await fresh();
    const other = await setup();
    await expectOAuthError(await callback(other.tenant, token, approved), 401, 'invalid_token');
  });

  it('comes before a bad body', async () => {
    await expectOAuthError(await callback(tenant, 'A'.repeat(54), '{not json'), 401, 'invalid_token');
  });
});

describe('400 invalid_request', () => {
  it.each([
    ['not JSON', '{not json', 'application/json'],
    ['not a JSON media type', JSON.stringify(approved), 'text/plain'],
    ['no status', JSON.stringify({ authentication_method: 'smart-id' }), 'application/json'],
    ['an unknown status', JSON.stringify({ status: 'maybe' }), 'application/json'],
    ['approval without authentication_method', JSON.stringify({ status: 'approved' }), 'application/json'],
    ['amr not an array', JSON.stringify({ ...approved, amr: 'pin' }), 'application/json'],
    ['auth_time not an integer', JSON.stringify({ ...approved, auth_time: 'now' }), 'application/json'],
    ['auth_time in the future', JSON.stringify({ ...approved, auth_time: Math.floor(Date.now() / 1000) + 3600 }), 'application/json'],
  ])('%s', async (_name, body, contentType) => {
    const { authReqId, token } = await fresh();
    await expectOAuthError(await callback(tenant, token, body, contentType), 400, 'invalid_request');
    // Nothing changed: the request is still pending.
    await expectOAuthError(await poll(tenant, client, authReqId), 400, 'authorization_pending');
  });
});

it('410 expired_token once the request has expired', async () => {
  const { authReqId, token } = await fresh();
  const stub = authRequestStub(env, await tenantRef(tenant), requestIdOf(authReqId));
  await runInDurableObject(stub, (_i, s) => {
    const st = s.storage.kv.get<AuthRequestState>(STATE_KEY)!;
    s.storage.kv.put(STATE_KEY, { ...st, expiresAt: Date.now() - 1 });
  });
  // The object holds its state in memory: evicted, it reads the rewritten one.
  await evictDurableObject(stub);
  await expectOAuthError(await callback(tenant, token, approved), 410, 'expired_token');
});

it('409 invalid_request when already decided or redeemed', async () => {
  const { authReqId, token } = await fresh();
  expect((await callback(tenant, token, { status: 'denied' })).status).toBe(204);
  await expectOAuthError(await callback(tenant, token, approved), 409, 'invalid_request');

  const second = await fresh();
  expect((await callback(tenant, second.token, approved)).status).toBe(204);
  await expectOAuthError(await callback(tenant, second.token, approved), 409, 'invalid_request');
  expect((await poll(tenant, client, second.authReqId)).status).toBe(200);
  await expectOAuthError(await callback(tenant, second.token, { status: 'denied' }), 409, 'invalid_request');
  expect(authReqId).not.toBe(second.authReqId);
});
