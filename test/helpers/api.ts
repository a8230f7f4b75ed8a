// Test helpers that drive the Worker through its public HTTP surface (exports.default.fetch), so
// route, KV and Durable Object code all run for real in workerd.
import { env, exports } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import { expect } from 'vitest';
import { deviceInboxStub, inboxEntryKey, type InboxEntry } from '../../src/authenticators/device-inbox.ts';
import { requestIdOf as requestIdOfToken } from '../../src/ciba/auth-req-id.ts';
import type { TenantPlace, TenantRef } from '../../src/tenants/ref.ts';
import { getTenant } from '../../src/tenants/store.ts';
import { forgetCached } from '../../src/lib/isolate-cache.ts';

export const ORIGIN = 'https://as.example.test';
export const ADMIN_TOKEN = 'test-admin-token';
export const CIBA = 'urn:openid:params:grant-type:ciba';

let counter = 0;
/** A tenant id unique within the test file (storage is isolated per file). */
export const uniqueTenantId = (prefix = 't') => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

export const issuerOf = (tenant: string) => `${ORIGIN}/${tenant}/as`;

/**
 * Writes a KV record behind the server's back (a test reaching into storage), and makes this isolate
 * forget its cached copy, as a write through the server would (src/lib/isolate-cache.ts).
 */
export async function putRecord(key: string, value: string): Promise<void> {
  await env.CONFIG.put(key, value);
  forgetCached(key);
}

/** The tenant's id, incarnation and jurisdiction, which name and place its records (src/tenants/ref.ts). */
export async function tenantRef(tenantId: string): Promise<TenantRef & TenantPlace> {
  const tenant = await getTenant(env, tenantId);
  if (!tenant) throw new Error(`no tenant ${tenantId}`);
  return { id: tenant.id, incarnation: tenant.incarnation, settings: { jurisdiction: tenant.settings.jurisdiction } };
}

/** A new sign-in link for the user from the operator, as a path and query below ORIGIN. */
export async function deviceLink(tenant: string, sub = 'alice'): Promise<string> {
  const link = await admin(`/tenants/${tenant}/users/${encodeURIComponent(sub)}/device-link`, 'POST');
  if (link.status !== 201) throw new Error(`device-link: ${link.status} ${await link.text()}`);
  const url = new URL(((await link.json()) as { url: string }).url);
  return `${url.pathname}${url.search}`;
}

/** The form the link's page shows: where it posts, and the fields it carries. */
export async function linkPageForm(path: string): Promise<{ action: string; fields: Record<string, string> }> {
  const res = await call(path);
  const html = await res.text();
  const action = /<form method="post" action="([^"]+)">/.exec(html)?.[1];
  const token = /<input type="hidden" name="token" value="([^"]+)">/.exec(html)?.[1];
  if (res.status !== 200 || !action || !token) throw new Error(`sign-in link page: ${res.status} ${html}`);
  return { action, fields: { token } };
}

/** Posts the link page's form as the browser does when the user presses Sign in (same origin). */
export const postSignIn = (action: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
  call(action, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Sec-Fetch-Site': 'same-origin', Origin: ORIGIN, ...headers },
    body: new URLSearchParams(fields),
    redirect: 'manual',
  });

/**
 * A device-page session for the user, from the operator's sign-in link: opens the link, presses Sign
 * in (a POST from the link's page), and returns the Cookie header to send.
 */
export async function deviceSession(tenant: string, sub = 'alice'): Promise<string> {
  const { action, fields } = await linkPageForm(await deviceLink(tenant, sub));
  const res = await postSignIn(action, fields);
  const cookie = res.headers.get('Set-Cookie')?.split(';')[0];
  if (res.status !== 303 || !cookie) throw new Error(`device session: ${res.status} ${await res.text()}`);
  return cookie;
}

/** The device page's HTML as the user sees it, signed in with a session. */
export async function devicePage(tenant: string, sub = 'alice', query = ''): Promise<string> {
  const res = await call(`/${tenant}/device${query}`, { headers: { Cookie: await deviceSession(tenant, sub) } });
  if (res.status !== 200) throw new Error(`device page: ${res.status} ${await res.text()}`);
  return res.text();
}

/**
 * Sends the device page's form for a request as the signed-in user would: the session cookie, the
 * page's CSRF token, and `fields` (decision, authentication_method, display_hash…).
 */
export async function deviceDecide(tenant: string, fields: Record<string, string>, sub = 'alice'): Promise<Response> {
  const cookie = await deviceSession(tenant, sub);
  const page = await (await call(`/${tenant}/device`, { headers: { Cookie: cookie } })).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1];
  if (csrf === undefined) throw new Error(`deviceDecide: ${sub}'s page has no form (no pending request), so no CSRF token`);
  return call(`/${tenant}/device`, {
    method: 'POST',
    headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf, ...fields }),
    redirect: 'manual',
  });
}

/**
 * What the device page's form proves, taken while one of the user's requests is pending (the page
 * then has a form): the session cookie and the CSRF token, so a test can send a decision later, at
 * the moment of its choosing (deviceSubmit), e.g. racing something else.
 */
export async function deviceFormProof(tenant: string, sub = 'alice'): Promise<{ cookie: string; csrf: string }> {
  const cookie = await deviceSession(tenant, sub);
  const page = await (await call(`/${tenant}/device`, { headers: { Cookie: cookie } })).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1];
  if (csrf === undefined) throw new Error(`deviceFormProof: ${sub}'s page has no form (no pending request), so no CSRF token`);
  return { cookie, csrf };
}

/** Sends the device page's form with a proof from deviceFormProof and `fields` (request_id, decision…). */
export function deviceSubmit(tenant: string, proof: { cookie: string; csrf: string }, fields: Record<string, string>): Promise<Response> {
  return call(`/${tenant}/device`, {
    method: 'POST',
    headers: { Cookie: proof.cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf: proof.csrf, ...fields }),
    redirect: 'manual',
  });
}

export function call(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(`${ORIGIN}${path}`, init));
}

export function admin(path: string, method = 'GET', body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { Authorization: `Bearer ${ADMIN_TOKEN}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  return call(`/admin${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

/**
 * Push-bombing limits raised far above what a test needs: most tests ask for one user (alice) many
 * times on purpose. The limits themselves are tested with their defaults and with small values
 * (routes/limits.test.ts); a test's own settings override these. The device page is on, as in the
 * demo tenant (routes/device.test.ts tests it off).
 */
export const GENEROUS_LIMITS = { user_pending_limit: 1000, user_request_limit: 10000, device_page: true };

export async function createTenant(settings: Record<string, unknown> = {}, id = uniqueTenantId()): Promise<string> {
  const res = await admin(`/tenants/${id}`, 'PUT', { ...GENEROUS_LIMITS, ...settings });
  if (res.status !== 201) throw new Error(`tenant: ${res.status} ${await res.text()}`);
  return id;
}

export interface TestClient {
  client_id: string;
  client_secret: string;
  [key: string]: unknown;
}

export async function createClient(tenant: string, metadata: Record<string, unknown> = {}): Promise<TestClient> {
  const res = await admin(`/tenants/${tenant}/clients`, 'POST', { client_name: 'Test Bank', ...metadata });
  if (res.status !== 201) throw new Error(`client: ${res.status} ${await res.text()}`);
  return (await res.json()) as TestClient;
}

export async function createUser(
  tenant: string,
  sub = 'alice',
  body: Record<string, unknown> = { login_hints: ['alice@example.com'], claims: { name: 'Alice' } },
): Promise<string> {
  const res = await admin(`/tenants/${tenant}/users/${encodeURIComponent(sub)}`, 'PUT', body);
  if (res.status !== 201 && res.status !== 200) throw new Error(`user: ${res.status} ${await res.text()}`);
  return sub;
}

/** A tenant with a basic-auth poll client and alice. */
export async function setup(settings: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}) {
  const tenant = await createTenant(settings);
  const client = await createClient(tenant, metadata);
  await createUser(tenant);
  return { tenant, client };
}

export const basic = (client: TestClient) => `Basic ${btoa(`${client.client_id}:${client.client_secret}`)}`;

export function postForm(path: string, params: Record<string, string> | URLSearchParams, headers: Record<string, string> = {}) {
  return call(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params).toString(),
  });
}

export function backchannel(tenant: string, client: TestClient, params: Record<string, string> | URLSearchParams) {
  return postForm(`/${tenant}/as/cibaAuthorization`, params, { Authorization: basic(client) });
}

export async function startRequest(
  tenant: string,
  client: TestClient,
  params: Record<string, string> = {},
): Promise<{ auth_req_id: string; expires_in: number; interval: number }> {
  const res = await backchannel(tenant, client, { scope: 'openid', login_hint: 'alice@example.com', ...params });
  if (res.status !== 200) throw new Error(`backchannel: ${res.status} ${await res.text()}`);
  return (await res.json()) as { auth_req_id: string; expires_in: number; interval: number };
}

export function poll(tenant: string, client: TestClient, authReqId: string) {
  return postForm(`/${tenant}/as/token`, { grant_type: CIBA, auth_req_id: authReqId }, { Authorization: basic(client) });
}

/** The request id inside an auth_req_id or callback token (the product's own reading); throws when it is malformed. */
export function requestIdOf(authReqId: string): string {
  const requestId = requestIdOfToken(authReqId);
  if (requestId === undefined) throw new Error(`not an auth_req_id: ${authReqId}`);
  return requestId;
}

/** Reads the callback token the built-in authenticator holds for a request, from the user's inbox. */
export async function callbackTokenFor(tenant: string, authReqId: string, sub = 'alice'): Promise<string> {
  const requestId = requestIdOf(authReqId);
  const entry = await runInDurableObject(deviceInboxStub(env, await tenantRef(tenant), sub), (_instance, state) =>
    state.storage.kv.get<InboxEntry>(inboxEntryKey(requestId)),
  );
  if (!entry) throw new Error('no inbox entry');
  return entry.callbackToken;
}

export function callback(tenant: string, token: string, body: unknown, contentType = 'application/json') {
  return call(`/${tenant}/as/ciba/callback`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** The RP cancels (contract §8): POST {issuer}/ciba/cancel with Basic auth; no auth_req_id when it is undefined. */
export const cancelRequest = (tenant: string, client: TestClient, authReqId?: string) =>
  postForm(`/${tenant}/as/ciba/cancel`, authReqId === undefined ? {} : { auth_req_id: authReqId }, { Authorization: basic(client) });

/** The request's state and timeline, as the admin API shows them (which must answer 200). */
export async function timelineOf(tenant: string, authReqId: string) {
  const res = await admin(`/tenants/${tenant}/requests/${requestIdOf(authReqId)}`);
  expect(res.status).toBe(200);
  return (await res.json()) as { status: string; events: { event: string }[] };
}

export async function approve(tenant: string, authReqId: string, decision: Record<string, unknown> = {}) {
  const res = await callback(tenant, await callbackTokenFor(tenant, authReqId), {
    status: 'approved',
    authentication_method: 'smart-id',
    ...decision,
  });
  if (res.status !== 204) throw new Error(`approve: ${res.status} ${await res.text()}`);
}
