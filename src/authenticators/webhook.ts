// The webhook authenticator (docs/protocol.md §5): the bank's own system finds the user and asks them on
// their device. Each request is one signed POST (Standard Webhooks) answered within 5 s, in at most
// 64 KiB, with the user's `sub` (and `claims`), or a refusal with one of the nine reasons. The user
// is known only once it answers, so it identifies no one beforehand and names the user from `present`.
import type { Env } from '../env.ts';
import { AUTHENTICATOR_REASONS, refusedByAuthenticator, temporarilyUnavailable, type AuthenticatorReason } from '../errors.ts';
import { displayName } from '../clients/store.ts';
import { randomToken } from '../lib/crypto.ts';
import { parseJson } from '../lib/json.ts';
import { openSecret } from '../secrets.ts';
import { readCapped } from '../lib/streams.ts';
import { signWebhook } from '../lib/webhook-signature.ts';
import { nowSeconds, toEpochSeconds } from '../lib/time.ts';
import { WEBHOOK_SECRETS, type TenantRecord } from '../tenants/store.ts';
import type { UserHint } from '../users/hints.ts';
import { SUB } from '../users/store.ts';
import type { AuthenticationStart, Authenticator, IdentifiedUser } from './authenticator.ts';
import { ENDPOINTS } from '../vocabulary.ts';

/** How long the authenticator has to answer (docs/protocol.md §5). One attempt, no retry. */
export const WEBHOOK_TIMEOUT_MS = 5_000;
/** The most of its answer that is read, like every body the server reads (docs/protocol.md §1); more is a failure. */
export const WEBHOOK_ANSWER_MAX_BYTES = 64 * 1024;

type Sent = { ok: true; response: Response } | { ok: false; cause: unknown };

/** POSTs one signed event to the tenant's webhook: `webhook-id`, `webhook-timestamp`, `webhook-signature`. */
async function send(env: Env, tenant: TenantRecord, type: string, data: Record<string, unknown>): Promise<Sent> {
  const authenticator = tenant.settings.authenticator;
  if (authenticator.type !== 'webhook') return { ok: false, cause: new Error('not a webhook tenant') };
  try {
    const secret = await openSecret(env, WEBHOOK_SECRETS, tenant.id, authenticator.secretJwe, { remember: true });
    const body = JSON.stringify({ type, data });
    const id = `msg_${randomToken(16)}`;
    const timestamp = nowSeconds();
    const signature = await signWebhook(secret, id, timestamp, body);
    const response = await fetch(authenticator.url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signature,
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    return { ok: true, response };
  } catch (cause) {
    return { ok: false, cause };
  }
}

/**
 * The answer's body as JSON (undefined when it is not JSON or broke off), or why it cannot be used
 * at all: past the cap (reading stops there) or nested too deeply to store (lib/json.ts), the answer
 * counts as the authenticator failing.
 */
async function readAnswer(response: Response): Promise<{ body: unknown } | { unusable: string }> {
  let bytes: Uint8Array | undefined;
  try {
    bytes = await readCapped(response.body, WEBHOOK_ANSWER_MAX_BYTES);
  } catch {
    return { body: undefined };
  }
  if (!bytes) return { unusable: `answered more than ${WEBHOOK_ANSWER_MAX_BYTES} bytes` };
  const parsed = parseJson(new TextDecoder().decode(bytes));
  if (parsed.ok) return { body: parsed.value };
  return parsed.tooDeep ? { unusable: `answered JSON that ${parsed.problem}` } : { body: undefined };
}

const isReason = (value: unknown): value is AuthenticatorReason =>
  typeof value === 'string' && (AUTHENTICATOR_REASONS as readonly string[]).includes(value);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Whom the request names, as the webhook is told: the login_hint as given, or what a signed hint held. */
const hintMember = (hint: UserHint) =>
  hint.kind === 'login_hint'
    ? { login_hint: hint.value }
    : hint.kind === 'id_token_hint'
      ? { id_token_hint_sub: hint.sub }
      : { login_hint_token_sub_id: hint.subId };

/** The payload of `ciba.authentication_requested` (docs/protocol.md §5); members without a value are left out. */
function requestedEvent(start: AuthenticationStart): Record<string, unknown> {
  const { consent } = start;
  return {
    request_id: start.requestId,
    tenant: start.tenant.id,
    client_id: start.client.clientId,
    client_name: displayName(start.client),
    scope: consent.scope,
    ...(consent.acrValues ? { acr_values: consent.acrValues } : {}),
    ...(consent.bindingMessage !== undefined ? { binding_message: consent.bindingMessage } : {}),
    ...(start.userCode !== undefined ? { user_code: start.userCode } : {}),
    display_hash: consent.displayHash,
    ...(consent.authorizationDetails !== undefined ? { authorization_details: consent.authorizationDetails } : {}),
    ...hintMember(start.hint),
    expires_at: toEpochSeconds(start.expiresAt),
    callback_url: start.issuer + ENDPOINTS.callback,
    callback_token: start.callbackToken,
  };
}

export const webhook: Authenticator = {
  async identify() {
    return undefined;
  },

  async present(env, start): Promise<IdentifiedUser> {
    const sent = await send(env, start.tenant, 'ciba.authentication_requested', requestedEvent(start));
    const unavailable = (why: string, cause?: unknown) =>
      temporarilyUnavailable(new Error(`webhook authenticator of ${start.tenant.id}: ${why}`, { cause }));
    if (!sent.ok) throw unavailable('no answer', sent.cause);
    const { response } = sent;
    const read = await readAnswer(response);
    if ('unusable' in read) throw unavailable(read.unusable);
    const answer = read.body;
    if (response.status === 200 && isObject(answer)) {
      const { sub, claims } = answer;
      if (typeof sub === 'string' && SUB.test(sub) && (claims === undefined || isObject(claims))) {
        return { sub, claims: claims ?? {} };
      }
      throw unavailable('200 without a valid sub');
    }
    if (response.status >= 400 && response.status < 500 && isObject(answer) && isReason(answer.error)) {
      throw refusedByAuthenticator(answer.error);
    }
    throw unavailable(`answered ${response.status} without a usable body`);
  },

  /** Tells the authenticator the request will never be honoured, so the device stops asking (one attempt). */
  async cancel(env, tenant, { requestId }) {
    const sent = await send(env, tenant, 'ciba.authentication_cancelled', { request_id: requestId, tenant: tenant.id });
    if (sent.ok) await sent.response.body?.cancel();
    else throw new Error('the webhook authenticator was not told of the cancellation', { cause: sent.cause });
  },

  // The bank's system holds its users; nothing is kept here.
  async forgetUser() {},
};
