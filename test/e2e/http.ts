// The HTTP parties of the end-to-end tests (test/e2e) and the benchmark (scripts/bench.ts): the
// operator's admin API setup, the relying party's form POSTs and the user's device page. Plain Node
// like ./server.ts (erasable TypeScript, `.ts` imports); failed checks throw Errors, not assertions.
import { ADMIN_TOKEN } from './server.ts';

/** The CIBA grant type, for the token endpoint's `grant_type`. */
export const CIBA = 'urn:openid:params:grant-type:ciba';

/** Every request here gives up after this long. */
const REQUEST_TIMEOUT_MS = 10_000;

/** A registered client_secret_basic client's credentials. */
export interface Client {
  client_id: string;
  client_secret: string;
}

/** A user to register: their id in the tenant, the one login hint they go by, and their name claim. */
export interface User {
  id: string;
  loginHint: string;
  name: string;
}

/** A JSON answer: its status, headers and parsed body. */
export interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** What the user does on the device page and expects to see there. */
export interface DeviceDecision {
  loginHint: string;
  /** The request is the one whose card shows exactly this binding message. */
  bindingMessage: string;
  /** The client name that card must show. */
  clientName: string;
  decision: 'approved' | 'denied';
  authenticationMethod: string;
  /** Default true: then GET the page the 303 leads to and check its notice and that the request is gone. */
  checkResultPage?: boolean;
}

/** The JSON object in an answer's `text`, or an Error naming `what` answered it. */
function parseJson(what: string, status: number, text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error(`${what}: ${status}, not JSON: ${text.slice(0, 500)}`);
  }
}

/** The operator: a JSON call to the admin API that must answer `status`; returns the parsed body. */
export async function adminCall(origin: string, method: string, path: string, body: unknown, status: number) {
  const res = await fetch(`${origin}/admin${path}`, {
    method,
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await res.text();
  const what = `${method} /admin${path}`;
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status}: ${text}`);
  return parseJson(what, res.status, text);
}

/** Creates `tenant` (with `settings`), registers `users` and a client_secret_basic client named `clientName`; returns its credentials. */
export async function setUpTenant(
  origin: string,
  tenant: string,
  users: readonly User[],
  clientName: string,
  settings: Record<string, unknown> = {},
): Promise<Client> {
  await adminCall(origin, 'PUT', `/tenants/${tenant}`, { device_page: true, ...settings }, 201);
  for (const user of users) {
    const body = { login_hints: [user.loginHint], claims: { name: user.name } };
    await adminCall(origin, 'PUT', `/tenants/${tenant}/users/${user.id}`, body, 201);
  }
  const created = await adminCall(
    origin,
    'POST',
    `/tenants/${tenant}/clients`,
    { client_name: clientName, token_endpoint_auth_method: 'client_secret_basic' },
    201,
  );
  const { client_id, client_secret } = created;
  if (typeof client_id !== 'string' || typeof client_secret !== 'string') {
    throw new Error(`POST /admin/tenants/${tenant}/clients: no client_id and secret in ${JSON.stringify(created)}`);
  }
  return { client_id, client_secret };
}

/** RFC 6749 §2.3.1 Basic credentials (each part form-urlencoded first). */
export function basicAuth(client: Client): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(client.client_id)}:${enc(client.client_secret)}`).toString('base64')}`;
}

/**
 * The relying party: a form POST to `endpoint` under the issuer with Basic auth. Throws unless the
 * answer is JSON and, when `status` is given, has that status.
 */
export async function rpPost(
  issuer: string,
  endpoint: string,
  client: Client,
  params: Record<string, string>,
  status?: number,
): Promise<Answer> {
  const res = await fetch(`${issuer}${endpoint}`, {
    method: 'POST',
    headers: { Authorization: basicAuth(client), 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await res.text();
  const what = `POST ${endpoint}`;
  if (status !== undefined && res.status !== status) {
    throw new Error(`${what}: expected ${status}, got ${res.status}: ${text}`);
  }
  return { status: res.status, headers: res.headers, body: parseJson(what, res.status, text) };
}

/** The relying party starts a backchannel request (scope openid) that must answer 200; returns its auth_req_id. */
export async function startBackchannel(
  issuer: string,
  client: Client,
  loginHint: string,
  bindingMessage: string,
): Promise<string> {
  const { body } = await rpPost(
    issuer,
    '/cibaAuthorization',
    client,
    { scope: 'openid', login_hint: loginHint, binding_message: bindingMessage },
    200,
  );
  if (typeof body.auth_req_id !== 'string') {
    throw new Error(`POST /cibaAuthorization: no auth_req_id in ${JSON.stringify(body)}`);
  }
  return body.auth_req_id;
}

/**
 * The user: opens the device page, finds the request showing the binding message, checks what it
 * shows, and submits its form as the browser would (the chosen button's name and value); returns how
 * long the page and the decision took, in ms.
 */
export async function decideOnDevice(
  origin: string,
  tenant: string,
  d: DeviceDecision,
): Promise<{ pageMs: number; decideMs: number }> {
  let t = performance.now();
  const pageUrl = `${origin}/${tenant}/device?login_hint=${encodeURIComponent(d.loginHint)}`;
  const page = await fetch(pageUrl, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const html = await page.text();
  if (page.status !== 200) throw new Error(`GET device page: expected 200, got ${page.status}: ${html.slice(0, 500)}`);
  const type = page.headers.get('content-type') ?? '';
  if (!/^text\/html/.test(type)) throw new Error(`GET device page: content-type ${type}, expected text/html`);
  const card = html
    .split('<section class="request"')
    .slice(1)
    .find((section) => section.includes(`>${d.bindingMessage}<`));
  if (card === undefined) {
    throw new Error(`no pending request showing "${d.bindingMessage}" on the device page:\n${html.slice(0, 2000)}`);
  }
  if (!card.includes(d.clientName)) throw new Error(`device page: the request omits "${d.clientName}":\n${card}`);
  const requestId = /<input type="hidden" name="request_id" value="([^"]+)">/.exec(card)?.[1];
  if (requestId === undefined || !/^[A-Za-z0-9_-]+$/.test(requestId)) {
    throw new Error(`device page: no well-formed request_id in the request's form (${requestId}):\n${card}`);
  }
  const pageMs = performance.now() - t;

  t = performance.now();
  const res = await fetch(`${origin}/${tenant}/device`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      login_hint: d.loginHint,
      request_id: requestId,
      authentication_method: d.authenticationMethod,
      decision: d.decision,
    }),
    redirect: 'manual',
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await res.text();
  if (res.status !== 303) throw new Error(`POST device page: expected 303, got ${res.status}: ${text.slice(0, 500)}`);
  const decideMs = performance.now() - t;
  const locationHeader = res.headers.get('location');
  if (locationHeader === null) throw new Error('POST device page: 303 without a Location');
  const location = new URL(locationHeader, origin);
  if (location.pathname !== `/${tenant}/device` || location.searchParams.get('done') !== d.decision) {
    throw new Error(`POST device page: redirected to ${location}, not /${tenant}/device with done=${d.decision}`);
  }

  if (d.checkResultPage ?? true) {
    // Back on the page: the notice shows and the request is no longer pending.
    const after = await (await fetch(location, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })).text();
    if (!after.includes(`Request ${d.decision}.`)) {
      throw new Error(`device page after the decision: no "Request ${d.decision}." notice:\n${after.slice(0, 2000)}`);
    }
    if (after.includes(requestId)) throw new Error(`device page after the decision: still shows request ${requestId}`);
  }
  return { pageMs, decideMs };
}
