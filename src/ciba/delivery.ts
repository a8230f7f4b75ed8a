// Ping and push delivery (CIBA §10.2, §10.3; docs/protocol.md §4), the I/O half: what the request's object
// sends to the client's notification endpoint, and how one attempt went. When to attempt, and what
// an attempt's answer changes, is pure and lives in state.ts (owe, afterAttempt, expire).
import type { Env } from '../env.ts';
import { getClient } from '../clients/store.ts';
import { getSigningKey } from '../keys/store.ts';
import { openSecret, sealSecret } from '../secrets.ts';
import { getTenant } from '../tenants/store.ts';
import { redeemedOf, type AttemptResult, type AuthRequestState, type Delivery, type Outbox } from './state.ts';
import { issueTokens } from '../tokens/issue.ts';

/** The purpose delivery secrets and pushed tokens are sealed under (docs/storage.md). */
export const DELIVERY_SECRETS = 'delivery secrets';
/** How long the client's endpoint has to answer one attempt. */
export const DELIVERY_TIMEOUT_MS = 5_000;

interface DeliverySecrets {
  authReqId: string;
  notificationToken: string;
}

const openSecrets = async (env: Env, tenantId: string, delivery: Delivery) =>
  JSON.parse(await openSecret(env, DELIVERY_SECRETS, tenantId, delivery.secretsJwe)) as DeliverySecrets;

export type MintOutcome = { status: 'minted'; bodyJwe: string } | { status: 'abandon'; reason: string };

/**
 * Push (CIBA §10.3): mints the token response once, for the tenant and user the request was opened
 * for, with the ID token bound to the request (`urn:openid:params:jwt:claim:auth_req_id`) and to the
 * access token (`at_hash`), and seals it with the auth_req_id for delivery.
 */
export async function mintPushTokens(env: Env, state: AuthRequestState): Promise<MintOutcome> {
  const tenant = await getTenant(env, state.tenantId);
  if (!tenant || tenant.incarnation !== state.tenantIncarnation) return { status: 'abandon', reason: 'tenant deleted' };
  if (!state.delivery || !state.approval || state.sub === undefined) return { status: 'abandon', reason: 'nothing to push' };
  const client = await getClient(env, tenant, state.clientId);
  if (!client) return { status: 'abandon', reason: 'client deleted' };
  const { authReqId } = await openSecrets(env, state.tenantId, state.delivery);
  const key = await getSigningKey(env, tenant);
  const extras = { claims: { 'urn:openid:params:jwt:claim:auth_req_id': authReqId }, atHash: true };
  const issued = await issueTokens(
    { env, tenant, issuer: state.issuer, client, key, now: Date.now(), extras },
    redeemedOf(state, state.sub, state.approval),
  );
  if (issued.status === 'refused') return { status: 'abandon', reason: issued.reason };
  const body = JSON.stringify({ ...issued.tokens, auth_req_id: authReqId });
  return { status: 'minted', bodyJwe: await sealSecret(env, DELIVERY_SECRETS, state.tenantId, body) };
}

/** The JSON body an outbox entry sends. */
async function bodyOf(env: Env, state: AuthRequestState, delivery: Delivery, outbox: Outbox, authReqId: string): Promise<string> {
  switch (outbox.kind) {
    case 'ping':
      return JSON.stringify({ auth_req_id: authReqId });
    case 'push_tokens':
      if (!outbox.bodyJwe) throw new Error('push tokens were not minted');
      return openSecret(env, DELIVERY_SECRETS, state.tenantId, outbox.bodyJwe);
    case 'push_denied':
      return JSON.stringify({ error: 'access_denied', auth_req_id: authReqId, error_description: 'The user denied the request' });
    case 'push_expired':
      return JSON.stringify({
        error: 'expired_token',
        auth_req_id: authReqId,
        error_description: 'The request expired before the user answered',
      });
  }
}

/**
 * One attempt to deliver the outbox entry: a POST with the client's bearer notification token,
 * redirects not followed, given up after 5 s. 2xx delivered; 3xx and 4xx refused (final); a 5xx,
 * a network error or no answer in time failed (retried).
 */
export async function attemptDelivery(env: Env, state: AuthRequestState, outbox: Outbox): Promise<AttemptResult> {
  const { delivery } = state;
  if (!delivery) return { result: 'refused' };
  const secrets = await openSecrets(env, state.tenantId, delivery);
  const body = await bodyOf(env, state, delivery, outbox, secrets.authReqId);
  let response: Response;
  try {
    response = await fetch(delivery.endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${secrets.notificationToken}` },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
  } catch {
    return { result: 'failed' };
  }
  await response.body?.cancel();
  const { status } = response;
  if (status >= 200 && status < 300) return { result: 'delivered', status };
  if (status >= 300 && status < 500) return { result: 'refused', status };
  return { result: 'failed', status };
}
