// POST /{tenant}/as/cibaAuthorization (contract §2, §3): client authentication and every parameter rule.
import { env } from 'cloudflare:workers';
import { listDurableObjectIds, runInDurableObject } from 'cloudflare:test';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { DeviceInbox, type InboxEntry } from '../../src/authenticators/device-inbox.ts';
import { AuthRequest } from '../../src/ciba/auth-request.ts';
import { authRequestStub } from '../../src/ciba/auth-req-id.ts';
import {
  admin,
  backchannel,
  callback,
  poll,
  basic,
  call,
  createClient,
  createUser,
  devicePage,
  issuerOf,
  postForm,
  setup,
  startRequest,
  type TestClient,
  tenantRef,
} from '../helpers/api.ts';
import { expectOAuthError } from '../helpers/oauth.ts';

let tenant: string;
let client: TestClient;
beforeAll(async () => {
  ({ tenant, client } = await setup());
});

const path = () => `/${tenant}/as/cibaAuthorization`;
const ok = { scope: 'openid', login_hint: 'alice@example.com' };

describe('success', () => {
  it('answers auth_req_id, expires_in and interval with no-store', async () => {
    const res = await backchannel(tenant, client, { ...ok, binding_message: 'Pay 10 €' });
    expect(res.status).toBe(200);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['auth_req_id', 'expires_in', 'interval']);
    expect(body.auth_req_id).toMatch(/^[A-Za-z0-9_-]{54}$/);
    expect(body.expires_in).toBe(300);
    expect(body.interval).toBe(5);
  });

  it('honours requested_expiry up to the tenant maximum', async () => {
    expect((await startRequest(tenant, client, { requested_expiry: '120' })).expires_in).toBe(120);
    expect((await startRequest(tenant, client, { requested_expiry: '7200' })).expires_in).toBe(3600);
  });

  it('caps any positive integer requested_expiry, however long, at the tenant maximum', async () => {
    for (const requested_expiry of ['10000000000', '9'.repeat(400)]) {
      expect((await startRequest(tenant, client, { requested_expiry })).expires_in, requested_expiry).toBe(3600);
    }
    expect((await startRequest(tenant, client, { requested_expiry: '000120' })).expires_in).toBe(120);
  });

  it('accepts client_secret_post for a client registered with it', async () => {
    const post = await createClient(tenant, { token_endpoint_auth_method: 'client_secret_post' });
    const res = await postForm(path(), { ...ok, client_id: post.client_id, client_secret: post.client_secret });
    expect(res.status).toBe(200);
  });

  it('resolves RFC 9493 subject identifiers and phone numbers', async () => {
    await createUser(tenant, 'carol', { login_hints: ['carol@example.com', '+372 5555 1234'], claims: {} });
    for (const login_hint of [
      JSON.stringify({ format: 'email', email: 'CAROL@example.com' }),
      JSON.stringify({ format: 'phone_number', phone_number: '+37255551234' }),
      JSON.stringify({ format: 'iss_sub', iss: issuerOf(tenant), sub: 'carol' }),
      JSON.stringify({ format: 'opaque', id: 'carol' }),
      '+372 5555-1234',
    ]) {
      const res = await backchannel(tenant, client, { scope: 'openid', login_hint });
      expect(res.status, login_hint).toBe(200);
    }
  });
});

describe('client authentication (401 invalid_client with WWW-Authenticate)', () => {
  const cases: Array<[string, () => Promise<Response>]> = [
    ['no credentials', () => postForm(path(), ok)],
    ['wrong secret', () => postForm(path(), ok, { Authorization: `Basic ${btoa(`${client.client_id}:nope`)}` })],
    ['unknown client', () => postForm(path(), ok, { Authorization: `Basic ${btoa('ghost:secret')}` })],
    ['malformed Basic', () => postForm(path(), ok, { Authorization: 'Basic !!!' })],
    ['Bearer instead of Basic', () => postForm(path(), ok, { Authorization: 'Bearer x' })],
    ['secret in the body for a basic client', () =>
      postForm(path(), { ...ok, client_id: client.client_id, client_secret: client.client_secret })],
    ['two methods at once', () =>
      postForm(path(), { ...ok, client_id: client.client_id, client_secret: client.client_secret }, { Authorization: basic(client) })],
    ['client_id in the body differs from the header', () =>
      postForm(path(), { ...ok, client_id: 'someone-else' }, { Authorization: basic(client) })],
    ['client_id given twice', () =>
      postForm(path(), new URLSearchParams([...Object.entries(ok), ['client_id', client.client_id], ['client_id', client.client_id]]), { Authorization: basic(client) })],
    ['a client assertion', () =>
      postForm(path(), { ...ok, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: 'a.b.c' })],
  ];
  it.each(cases)('%s', async (_name, send) => {
    const res = await send();
    await expectOAuthError(res, 401, 'invalid_client');
    expect(res.headers.get('WWW-Authenticate')).toBe(`Basic realm="${issuerOf(tenant)}"`);
  });

  it('a client from another tenant is unknown here', async () => {
    const other = await setup();
    await expectOAuthError(await backchannel(tenant, other.client, ok), 401, 'invalid_client');
  });

  it('a basic client cannot use client_secret_post', async () => {
    const res = await postForm(path(), { ...ok, client_id: client.client_id, client_secret: client.client_secret });
    await expectOAuthError(res, 401, 'invalid_client');
  });

  it('401 comes before the endpoint’s own errors', async () => {
    await expectOAuthError(await postForm(path(), { login_hint: 'x', login_hint_token: 'y' }), 401, 'invalid_client');
  });
});

describe('parameters (400)', () => {
  const cases: Array<[string, Record<string, string> | URLSearchParams, string]> = [
    ['scope missing', { login_hint: 'alice@example.com' }, 'invalid_request'],
    ['scope empty counts as missing', { scope: '', login_hint: 'alice@example.com' }, 'invalid_request'],
    ['scope without openid', { scope: 'profile', login_hint: 'alice@example.com' }, 'invalid_scope'],
    ['scope the tenant does not offer', { scope: 'openid payments', login_hint: 'alice@example.com' }, 'invalid_scope'],
    ['no hint', { scope: 'openid' }, 'invalid_request'],
    ['empty hint counts as absent', { scope: 'openid', login_hint: '' }, 'invalid_request'],
    ['two hints', { ...ok, id_token_hint: 'a.b.c' }, 'invalid_request'],
    ['three hints', { ...ok, id_token_hint: 'a.b.c', login_hint_token: 'a.b.c' }, 'invalid_request'],
    ['malformed id_token_hint', { scope: 'openid', id_token_hint: 'a.b.c' }, 'invalid_request'],
    ['malformed login_hint_token', { scope: 'openid', login_hint_token: 'a.b.c' }, 'invalid_request'],
    ['unknown user', { scope: 'openid', login_hint: 'mallory@example.com' }, 'unknown_user_id'],
    ['unknown iss_sub issuer', { scope: 'openid', login_hint: JSON.stringify({ format: 'iss_sub', iss: 'https://elsewhere', sub: 'alice' }) }, 'unknown_user_id'],
    ['subject identifier of another format', { scope: 'openid', login_hint: JSON.stringify({ format: 'account', uri: 'acct:alice@example.com' }) }, 'invalid_request'],
    ['broken JSON hint', { scope: 'openid', login_hint: '{"format":' }, 'invalid_request'],
    ['binding_message too long', { ...ok, binding_message: 'x'.repeat(65) }, 'invalid_binding_message'],
    ['binding_message with a control character', { ...ok, binding_message: 'pay\u0007' }, 'invalid_binding_message'],
    ['binding_message with an emoji', { ...ok, binding_message: 'pay 💸' }, 'invalid_binding_message'],
    ['requested_expiry zero', { ...ok, requested_expiry: '0' }, 'invalid_request'],
    ['requested_expiry not an integer', { ...ok, requested_expiry: '10.5' }, 'invalid_request'],
    ['requested_expiry negative', { ...ok, requested_expiry: '-1' }, 'invalid_request'],
    ['a request object beside form parameters', { ...ok, request: 'a.b.c' }, 'invalid_request'],
    ['a request object from a client without keys', { request: 'a.b.c' }, 'invalid_request'],
    ['request_uri', { ...ok, request_uri: 'urn:example:request' }, 'invalid_request'],
    ['a resource the tenant does not offer', { ...ok, resource: 'https://api.example.com' }, 'invalid_target'],
    ['authorization_details the tenant does not support', { ...ok, authorization_details: '[{"type":"payment_initiation"}]' }, 'invalid_authorization_details'],
    ['a repeated parameter', new URLSearchParams([['scope', 'openid'], ['scope', 'openid'], ['login_hint', 'alice@example.com']]), 'invalid_request'],
    ['a repeated hint', new URLSearchParams([['scope', 'openid'], ['login_hint', 'alice@example.com'], ['login_hint', 'alice@example.com']]), 'invalid_request'],
  ];
  it.each(cases)('%s → %s', async (_name, params, error) => {
    const body = await expectOAuthError(await backchannel(tenant, client, params), 400, error);
    expect(body).not.toHaveProperty('auth_req_id');
  });

  it('a body that is not a form is invalid_request (after client authentication)', async () => {
    const res = await call(path(), {
      method: 'POST',
      headers: { Authorization: basic(client), 'Content-Type': 'application/json' },
      body: JSON.stringify(ok),
    });
    await expectOAuthError(res, 400, 'invalid_request');
  });
});

describe('hints storage cannot hold name nobody', () => {
  it.each([
    ['600 ASCII characters', 'a'.repeat(600)],
    ['300 × é', 'é'.repeat(300)],
    ['an RFC 9493 e-mail of 500 characters', JSON.stringify({ format: 'email', email: `${'a'.repeat(488)}@example.com` })],
    ['an RFC 9493 phone number of 600 digits', JSON.stringify({ format: 'phone_number', phone_number: `+${'1'.repeat(600)}` })],
    ['an RFC 9493 opaque id of 600 characters', JSON.stringify({ format: 'opaque', id: 'x'.repeat(600) })],
    ['an RFC 9493 iss_sub with a sub of 600 characters', JSON.stringify({ format: 'iss_sub', iss: 'https://as.example.test', sub: 'x'.repeat(600) })],
  ])('%s → 400 unknown_user_id', async (_name, login_hint) => {
    await expectOAuthError(await backchannel(tenant, client, { scope: 'openid', login_hint }), 400, 'unknown_user_id');
  });

  it('a long multi-byte hint that storage can hold still resolves', async () => {
    const hint = '€'.repeat(100); // 300 bytes
    await createUser(tenant, 'euro', { login_hints: [hint], claims: {} });
    expect((await backchannel(tenant, client, { scope: 'openid', login_hint: hint })).status).toBe(200);
  });
});

describe('registered scope', () => {
  it('a client that registered a scope may request only those', async () => {
    const narrow = await createClient(tenant, { scope: 'openid profile' });
    await expectOAuthError(await backchannel(tenant, narrow, { ...ok, scope: 'openid email' }), 400, 'invalid_scope');
    expect((await backchannel(tenant, narrow, { ...ok, scope: 'openid profile' })).status).toBe(200);
  });
});

describe('user_code', () => {
  it('is required, and checked, where both the tenant and the client use it', async () => {
    const t = await setup({ backchannel_user_code_parameter_supported: true }, { backchannel_user_code_parameter: true });
    await createUser(t.tenant, 'alice', { login_hints: ['alice@example.com'], user_code: '4711' });
    await expectOAuthError(await backchannel(t.tenant, t.client, ok), 400, 'missing_user_code');
    await expectOAuthError(await backchannel(t.tenant, t.client, { ...ok, user_code: '0000' }), 400, 'invalid_user_code');
    expect((await backchannel(t.tenant, t.client, { ...ok, user_code: '4711' })).status).toBe(200);

    const plain = await createClient(t.tenant);
    expect((await backchannel(t.tenant, plain, ok)).status).toBe(200);
  });
});

describe('refusals leave nothing behind', () => {
  it('creates no Durable Object for a refused request', async () => {
    const t = await setup();
    const before = (await listDurableObjectIds(env.AUTH_REQUESTS)).length;
    await backchannel(t.tenant, t.client, { scope: 'openid', login_hint: 'nobody@example.com' });
    await backchannel(t.tenant, t.client, { ...ok, binding_message: '\u0000' });
    await postForm(`/${t.tenant}/as/cibaAuthorization`, ok);
    expect((await listDurableObjectIds(env.AUTH_REQUESTS)).length).toBe(before);
    await startRequest(t.tenant, t.client);
    expect((await listDurableObjectIds(env.AUTH_REQUESTS)).length).toBe(before + 1);
  });
});

describe('opening a request is all-or-nothing, and the request exists before the user sees it', () => {
  it('the request can be decided the moment it reaches the user’s device', async () => {
    const t = await setup();
    const seen: Array<number | undefined> = [];
    const add = DeviceInbox.prototype.add;
    const spy = vi.spyOn(DeviceInbox.prototype, 'add').mockImplementation(async function (this: DeviceInbox, entry: InboxEntry) {
      // What the device would get if the user answered at once: the callback's answer.
      const res = await callback(t.tenant, entry.callbackToken, { status: 'denied' });
      seen.push(res.status);
      return add.call(this, entry);
    });
    try {
      const res = await backchannel(t.tenant, t.client, ok);
      expect(res.status).toBe(200);
      const { auth_req_id } = (await res.json()) as { auth_req_id: string };
      expect(seen).toEqual([204]);
      await expectOAuthError(await poll(t.tenant, t.client, auth_req_id), 400, 'access_denied');
    } finally {
      spy.mockRestore();
    }
  });

  it('when the user’s device cannot be reached, the request is withdrawn: no state, no timeline', async () => {
    const t = await setup();
    const requestIds: string[] = [];
    const spy = vi.spyOn(DeviceInbox.prototype, 'add').mockImplementation(async (entry: InboxEntry) => {
      requestIds.push(entry.requestId);
      throw Object.assign(new Error('inbox overloaded'), { overloaded: true });
    });
    try {
      await expectOAuthError(await backchannel(t.tenant, t.client, ok), 503, 'temporarily_unavailable');
    } finally {
      spy.mockRestore();
    }
    expect(requestIds).toHaveLength(1);
    const stored = await runInDurableObject(authRequestStub(env, await tenantRef(t.tenant), requestIds[0]!), (_i, state) =>
      [...state.storage.kv.list()].length,
    );
    expect(stored).toBe(0);
    await expectOAuthError(await admin(`/tenants/${t.tenant}/requests/${requestIds[0]}`), 404, 'invalid_request');
    expect(await devicePage(t.tenant)).toContain('No pending requests');
  });

  it('a failing undo is logged and never masks the original error', async () => {
    const t = await setup();
    const add = vi.spyOn(DeviceInbox.prototype, 'add').mockImplementation(async () => {
      throw Object.assign(new Error('inbox overloaded'), { overloaded: true });
    });
    const discard = vi.spyOn(AuthRequest.prototype, 'discard').mockImplementation(async () => {
      throw new Error('discard failed');
    });
    const logged = vi.spyOn(console, 'error');
    try {
      await expectOAuthError(await backchannel(t.tenant, t.client, ok), 503, 'temporarily_unavailable');
      expect(discard).toHaveBeenCalledTimes(1);
      expect(logged.mock.calls.some(([message]) => String(message).includes('undoing a request that could not be opened failed'))).toBe(true);
    } finally {
      add.mockRestore();
      discard.mockRestore();
      logged.mockRestore();
    }
  });

  it('when the request cannot be stored, the user is never asked', async () => {
    const t = await setup();
    const added = vi.spyOn(DeviceInbox.prototype, 'add');
    const create = vi.spyOn(AuthRequest.prototype, 'create').mockImplementation(async () => {
      throw Object.assign(new Error('object overloaded'), { overloaded: true });
    });
    try {
      await expectOAuthError(await backchannel(t.tenant, t.client, ok), 503, 'temporarily_unavailable');
      expect(added).not.toHaveBeenCalled();
    } finally {
      create.mockRestore();
      added.mockRestore();
    }
    expect(await devicePage(t.tenant)).toContain('No pending requests');
  });
});
