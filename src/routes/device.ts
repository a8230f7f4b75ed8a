// GET/POST /{tenant}/device — the built-in authenticator's device page (contract §5): the user names
// themself, sees their pending requests and approves (choosing the method) or denies. Plain HTML
// forms, no JavaScript. Decisions go through the same rules as POST {issuer}/ciba/callback.
import { Hono } from '../http/hono.ts';
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { AppEnv } from '../env.ts';
import { invalidRequest, notFound } from '../errors.ts';
import { decisionRefusal } from '../http/decision.ts';
import { deviceInboxStub, type InboxEntry } from '../authenticators/device-inbox.ts';
import { applyDecision, parseDecision } from '../ciba/callback.ts';
import { isRequestId } from '../ciba/auth-req-id.ts';
import { parseForm } from '../http/form.ts';
import { route } from '../http/route.ts';
import { AMR_BY_METHOD } from '../tokens/amr.ts';
import { findUserByLoginHint } from '../users/store.ts';

export const device = new Hono<AppEnv>();

const METHODS = Object.keys(AMR_BY_METHOD);
const pageHeaders = {
  'Cache-Control': 'no-store',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
};

const layout = (title: string, body: HtmlEscapedString | Promise<HtmlEscapedString>) => html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}
.request{border:1px solid #c9d1d9;border-radius:.5rem;padding:1rem;margin:1rem 0}
.binding{font-size:1.4rem;font-weight:600;letter-spacing:.05em}
button{padding:.5rem 1rem;margin-right:.5rem}
.details dt{font-weight:600}.details dd{margin:0 0 .5rem 1rem}
.notice{background:#eef6ee;border-radius:.5rem;padding:.5rem 1rem}
</style>
</head>
<body>${body}</body>
</html>`;

const signInForm = (tenantId: string) => html`<h1>Sign in to your device</h1>
<form method="get" action="/${tenantId}/device">
<label>Your e-mail, phone number or user id <input name="login_hint" required autocomplete="username"></label>
<button type="submit">Show my requests</button>
</form>`;

/** A member's value in words: text as it is, lists joined, anything else as JSON. */
const shown = (value: unknown): string =>
  typeof value === 'string'
    ? value
    : Array.isArray(value) && value.every((v) => typeof v !== 'object' || v === null)
      ? value.join(', ')
      : JSON.stringify(value);

/** RFC 9396 authorization_details, readable: one list per detail, headed by its type. */
const detailsOf = (json: string | undefined) => {
  if (json === undefined) return '';
  const details = JSON.parse(json) as { type: string; [member: string]: unknown }[];
  return html`<div class="details"><p>Details you are approving:</p>
${details.map(
  ({ type, ...members }) => html`<h3>${type}</h3>
<dl>${Object.entries(members).map(([name, value]) => html`<dt>${name}</dt><dd>${shown(value)}</dd>`)}</dl>`,
)}</div>`;
};

const requestCard = (tenantId: string, loginHint: string, entry: Omit<InboxEntry, 'callbackToken'>) => html`
<section class="request" data-request-id="${entry.requestId}">
<h2>${entry.clientName} asks you to sign in</h2>
${entry.bindingMessage ? html`<p>Check that this matches the other screen: <span class="binding">${entry.bindingMessage}</span></p>` : ''}
<p>Access requested: <code>${entry.scope}</code></p>
${detailsOf(entry.authorizationDetailsJson)}
${entry.acrValues ? html`<p>Assurance asked for: <code>${entry.acrValues.join(' ')}</code></p>` : ''}
<p>Expires at ${new Date(entry.expiresAt).toISOString()}</p>
<form method="post" action="/${tenantId}/device">
<input type="hidden" name="login_hint" value="${loginHint}">
<input type="hidden" name="request_id" value="${entry.requestId}">
${entry.displayHash ? html`<input type="hidden" name="display_hash" value="${entry.displayHash}">` : ''}
<label>Sign in with <select name="authentication_method">
${METHODS.map((m) => html`<option value="${m}">${m}</option>`)}
</select></label>
<p><button type="submit" name="decision" value="approved">Approve</button>
<button type="submit" name="decision" value="denied">Deny</button></p>
</form>
</section>`;

// Only tenants that use the built-in authenticator have a device page.
device.use('*', async (c, next) => {
  if (c.get('tenant').settings.authenticator.type !== 'builtin') throw notFound('This tenant has no device page');
  await next();
});

route(device, '/', {
  GET: async (c) => {
    const tenantId = c.get('tenantId');
    const loginHint = c.req.query('login_hint');
    if (!loginHint) return c.html(layout('Sign in', signInForm(tenantId)), 200, pageHeaders);
    const tenant = c.get('tenant');
    const user = await findUserByLoginHint(c.env, tenant, loginHint);
    const entries = user ? await deviceInboxStub(c.env, tenant, user.sub).list() : [];
    const done = c.req.query('done');
    const notice =
      done === 'approved' || done === 'denied' ? html`<p class="notice" role="status">Request ${done}.</p>` : '';
    const body = html`<h1>Pending requests</h1>
${notice}
${entries.length === 0 ? html`<p>No pending requests.</p>` : entries.map((e) => requestCard(tenantId, loginHint, e))}
<p><a href="/${tenantId}/device?login_hint=${encodeURIComponent(loginHint)}">Refresh</a></p>`;
    return c.html(layout('Pending requests', body), 200, pageHeaders);
  },
  POST: async (c) => {
    const tenantId = c.get('tenantId');
    const form = await parseForm(c);
    form.assertWellFormed();
    const loginHint = form.get('login_hint');
    const requestId = form.get('request_id');
    const decision = form.get('decision');
    if (!loginHint || !requestId || !isRequestId(requestId)) {
      throw invalidRequest('login_hint and a valid request_id are required');
    }
    if (decision !== 'approved' && decision !== 'denied') throw invalidRequest('decision must be approved or denied');
    const method = form.get('authentication_method');
    if (decision === 'approved' && (method === undefined || !METHODS.includes(method))) {
      throw invalidRequest(`authentication_method must be one of ${METHODS.join(', ')}`);
    }
    const displayHash = form.get('display_hash');
    const input = parseDecision(
      decision === 'approved'
        ? { status: 'approved', authentication_method: method, ...(displayHash !== undefined ? { display_hash: displayHash } : {}) }
        : { status: 'denied' },
    );
    if (!input.ok) throw invalidRequest(input.description);
    const tenant = c.get('tenant');
    const user = await findUserByLoginHint(c.env, tenant, loginHint);
    const inbox = user ? deviceInboxStub(c.env, tenant, user.sub) : undefined;
    const entry = await inbox?.get(requestId);
    if (!inbox || !entry) throw notFound('No such pending request for this user');
    // Every outcome is final (taken, already decided, expired, unknown) and clears the entry; a
    // dependency that fails throws instead, and the entry stays for the user to try again.
    const outcome = await applyDecision(c.env, tenant, entry.callbackToken, input);
    await inbox.remove(requestId);
    const refusal = decisionRefusal(outcome);
    if (refusal) throw refusal;
    return c.redirect(`/${tenantId}/device?login_hint=${encodeURIComponent(loginHint)}&done=${decision}`, 303);
  },
});
