// The device page's HTML (hono/html, escaped): the layout with a per-response CSP nonce, the sign-in
// page, and the request list the page shows and the live script re-fetches. Everything a user needs
// to decide is here: who asks, the binding message in large type, the scopes in plain words, the
// authorization details, the assurance asked for, and a countdown to expiry.
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { InboxEntry } from '../authenticators/device-inbox.ts';
import type { Consent } from '../consent.ts';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

const STYLE = `:root{color-scheme:light dark;--fg:#1b1f24;--bg:#fff;--line:#c9d1d9;--soft:#eef6ee;--accent:#0b5cad}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--line:#3d444d;--soft:#12261a;--accent:#58a6ff}}
body{font-family:system-ui,sans-serif;max-width:36rem;margin:0 auto;padding:1rem;color:var(--fg);background:var(--bg);line-height:1.5}
.request{border:1px solid var(--line);border-radius:.5rem;padding:1rem;margin:1rem 0}
.binding{display:block;font-size:1.6rem;font-weight:700;letter-spacing:.04em;margin:.25rem 0}
button,select{font:inherit;padding:.5rem 1rem;margin:.25rem .5rem .25rem 0}
button{border:2px solid var(--accent);border-radius:.4rem;background:var(--bg);color:var(--fg);cursor:pointer}
button[value=approved]{background:var(--accent);color:var(--bg)}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.details dt{font-weight:600}.details dd{margin:0 0 .5rem 1rem}
.notice,.dev{background:var(--soft);border-radius:.5rem;padding:.5rem 1rem}
.dev{border:2px dashed var(--accent)}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}`;

/** The page around `body`; the nonce admits its one style sheet and its one (external) script. */
export const layout = (title: string, nonce: string, body: Html, script?: string) => html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" href="data:,">
<style nonce="${nonce}">${STYLE}</style>
${script ? html`<script nonce="${nonce}" src="${script}" defer></script>` : ''}
</head>
<body><main>${body}</main></body>
</html>`;

/**
 * The page's headers: a strict CSP (nonces only, no inline script), never cached. Never framed either:
 * middleware/refuse-framing.ts adds frame-ancestors and X-Frame-Options to every device answer.
 */
export const pageHeaders = (nonce: string) => ({
  'Cache-Control': 'no-store',
  'Content-Security-Policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'`,
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
});

/** Scopes in plain words. */
const SCOPE_WORDS: Record<string, string> = {
  openid: 'Confirm who you are',
  profile: 'Your name and profile',
  email: 'Your e-mail address',
  phone: 'Your phone number',
  offline_access: 'Stay signed in',
};

/** A member's value in words: text as it is, lists joined, anything else as JSON. */
const shown = (value: unknown): string =>
  typeof value === 'string'
    ? value
    : Array.isArray(value) && value.every((v) => typeof v !== 'object' || v === null)
      ? value.join(', ')
      : JSON.stringify(value);

/** RFC 9396 authorization_details, readable: one list per detail, headed by its type. */
const detailsOf = (details: Consent['authorizationDetails']) => {
  if (details === undefined) return '';
  return html`<div class="details"><p>Details you are approving:</p>
${details.map(
  ({ type, ...members }) => html`<h3>${type}</h3>
<dl>${Object.entries(members).map(([name, value]) => html`<dt>${name}</dt><dd>${shown(value)}</dd>`)}</dl>`,
)}</div>`;
};

const remaining = (ms: number) => {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

/** What identifies the user to the page's form: a session's CSRF token, or (development) the login hint. */
export type FormProof = { csrf: string } | { loginHint: string };

const proofFields = (proof: FormProof) =>
  'csrf' in proof
    ? html`<input type="hidden" name="csrf" value="${proof.csrf}">`
    : html`<input type="hidden" name="login_hint" value="${proof.loginHint}">`;

const card = (tenantId: string, proof: FormProof, methods: readonly string[], e: Omit<InboxEntry, 'callbackToken'>, now: number) => html`
<section class="request" aria-labelledby="h-${e.requestId}" data-request-id="${e.requestId}">
<h2 id="h-${e.requestId}">${e.clientName} asks you to sign in</h2>
${e.consent.bindingMessage ? html`<p>Check that this matches the other screen:<strong class="binding">${e.consent.bindingMessage}</strong></p>` : ''}
<p>It asks for:</p>
<ul>${e.consent.scope.split(' ').map((s) => html`<li>${SCOPE_WORDS[s] ?? s}</li>`)}</ul>
${detailsOf(e.consent.authorizationDetails)}
${e.consent.acrValues ? html`<p>Assurance asked for: <code>${e.consent.acrValues.join(' ')}</code></p>` : ''}
<p>Expires in <time class="countdown" datetime="${new Date(e.expiresAt).toISOString()}" data-expires="${e.expiresAt}">${remaining(e.expiresAt - now)}</time></p>
<form method="post" action="/${tenantId}/device">
${proofFields(proof)}
<input type="hidden" name="request_id" value="${e.requestId}">
${e.consent.displayHash ? html`<input type="hidden" name="display_hash" value="${e.consent.displayHash}">` : ''}
<label for="m-${e.requestId}">Sign in with</label>
<select id="m-${e.requestId}" name="authentication_method">
${methods.map((m) => html`<option value="${m}">${m}</option>`)}
</select>
<div><button type="submit" name="decision" value="approved">Approve</button>
<button type="submit" name="decision" value="denied">Deny</button></div>
</form>
</section>`;

/** The pending requests, oldest first: the page's list, and what the live script re-fetches. */
export const requestList = (
  tenantId: string,
  proof: FormProof,
  methods: readonly string[],
  entries: Omit<InboxEntry, 'callbackToken'>[],
  now: number,
) => (entries.length === 0 ? html`<p>No pending requests.</p>` : html`${entries.map((e) => card(tenantId, proof, methods, e, now))}`);
