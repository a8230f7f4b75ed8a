// Operations on a whole tenant that span stores: creating or replacing one (with its signing keys),
// resealing its secrets, and deleting one (its records swept in batches by sweeper.ts).
import type { Env } from '../env.ts';
import { profileProblem } from '../clients/profile.ts';
import { clientKey, resealClientSecrets, type ClientRecord } from '../clients/store.ts';
import { getKeySet, prepareKeySet, resealKeySet, tokenTtlOf, type KeySet } from '../keys/store.ts';
import { invalidRequest } from '../errors.ts';
import { randomToken } from '../lib/crypto.ts';
import { listKeyNames } from '../lib/kv.ts';
import { resealSecret, sealSecret } from '../secrets.ts';
import { sweepTenant } from './sweeper.ts';
import {
  WEBHOOK_SECRETS,
  deleteTenant,
  getTenant,
  putTenant,
  type StoredAuthenticator,
  type TenantRecord,
  type TenantSettingsInput,
} from '../tenants/store.ts';
import { storedInstantMs } from '../lib/time.ts';

/** The authenticator to store: a webhook secret sealed, or the stored one kept when none is given. */
async function storedAuthenticator(
  env: Env,
  id: string,
  input: TenantSettingsInput['authenticator'],
  previous: TenantRecord | undefined,
): Promise<StoredAuthenticator> {
  if (input.type === 'builtin') return input;
  if (input.secret !== undefined) {
    return { type: 'webhook', url: input.url, secretJwe: await sealSecret(env, WEBHOOK_SECRETS, id, input.secret) };
  }
  const kept = previous?.settings.authenticator;
  if (kept?.type !== 'webhook') throw invalidRequest('authenticator.secret: required for a webhook authenticator');
  return { type: 'webhook', url: input.url, secretJwe: kept.secretJwe };
}

/**
 * A tenant switching to fapi-ciba must have no client the profile forbids (docs/protocol.md §10):
 * the refusal names the first one found and what is wrong with it.
 */
async function assertClientsFitProfile(env: Env, tenant: TenantRecord, input: TenantSettingsInput): Promise<void> {
  if (input.profile === 'ciba' || input.profile === tenant.settings.profile) return;
  for (const name of await listKeyNames(env.CONFIG, clientKey(tenant, ''))) {
    const client = await env.CONFIG.get<ClientRecord>(name, 'json');
    const problem = client && profileProblem(client.metadata, input.profile);
    if (problem) throw invalidRequest(`profile: the client ${client.clientId} is not allowed: ${problem}`);
  }
}

/**
 * Creates or replaces a tenant (docs/protocol.md §6). A new tenant, or a new signing_alg, gets a fresh
 * signing key first; the key set learns of longer token lifetimes before any token is signed under them.
 */
export async function upsertTenant(
  env: Env,
  id: string,
  input: TenantSettingsInput,
  now: number,
): Promise<{ created: boolean; tenant: TenantRecord; keySet: KeySet }> {
  const previous = await getTenant(env, id, { fresh: true });
  if (previous && previous.settings.jurisdiction !== input.jurisdiction) {
    throw invalidRequest('jurisdiction: fixed when the tenant was created; it cannot change');
  }
  if (previous) await assertClientsFitProfile(env, previous, input);
  const settings = { ...input, authenticator: await storedAuthenticator(env, id, input.authenticator, previous) };
  const ref = { id, incarnation: previous?.incarnation ?? randomToken(16) };
  const keySet = await prepareKeySet(env, ref, await getKeySet(env, ref, { fresh: true }), settings.signing_alg, tokenTtlOf(settings), now);
  const tenant: TenantRecord = {
    ...ref,
    settings,
    createdAt: previous ? storedInstantMs(previous.createdAt) : now,
    updatedAt: now,
  };
  await putTenant(env, tenant);
  return { created: !previous, tenant, keySet };
}

/**
 * Re-encrypts everything of the tenant that is sealed under KEY_ENCRYPTION_SECRET (its private
 * keys, its webhook secret, its client_secret_jwt secrets) under the current secret, so that
 * KEY_ENCRYPTION_SECRET_PREVIOUS can then be dropped (docs/operations.md).
 */
export async function resealTenant(env: Env, tenant: TenantRecord): Promise<{ keys: number; clients: number; webhook: boolean }> {
  const { authenticator } = tenant.settings;
  const webhook = authenticator.type === 'webhook';
  if (authenticator.type === 'webhook') {
    const secretJwe = await resealSecret(env, WEBHOOK_SECRETS, tenant.id, authenticator.secretJwe);
    await putTenant(env, { ...tenant, settings: { ...tenant.settings, authenticator: { ...authenticator, secretJwe } } });
  }
  const [keys, clients] = await Promise.all([resealKeySet(env, tenant), resealClientSecrets(env, tenant)]);
  return { keys, clients, webhook };
}

/**
 * Deletes a tenant however many records it holds: its sweeper is started first, so no record is
 * left behind if what follows fails (a retried DELETE finds the sweep under way), then its record is
 * deleted and it stops resolving. Every other record lives below the incarnation's prefix and is
 * deleted in batches by the sweeper (sweeper.ts); a tenant re-created under the same id gets
 * a new incarnation and inherits nothing. Its device inboxes are named by incarnation; its requests
 * and grants check it; all of them expire on their own (docs/storage.md).
 */
export async function removeTenant(env: Env, tenant: TenantRecord): Promise<void> {
  await sweepTenant(env, tenant);
  await deleteTenant(env, tenant.id);
}
