// Operations on a whole tenant that span stores: creating or replacing one (with its signing keys)
// and deleting one (asking every authenticator to forget its users, then each store to delete).
import type { Env } from '../env.ts';
import { authenticatorFor } from '../authenticators/index.ts';
import { deleteAllClients, resealClientSecrets } from '../clients/store.ts';
import { deleteKeySet, getKeySet, prepareKeySet, resealKeySet, tokenTtlOf, type KeySet } from '../keys/store.ts';
import { invalidRequest } from '../errors.ts';
import { randomToken } from '../lib/crypto.ts';
import { resealSecret, sealSecret } from '../lib/secrets.ts';
import { deleteAllUsers, listUserSubs } from '../users/store.ts';
import {
  WEBHOOK_SECRETS,
  deleteTenant,
  getTenant,
  putTenant,
  type StoredAuthenticator,
  type TenantRecord,
  type TenantSettingsInput,
} from './store.ts';

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
 * Creates or replaces a tenant (contract §6). A new tenant, or a new signing_alg, gets a fresh
 * signing key first; the key set learns of longer token lifetimes before any token is signed under them.
 */
export async function upsertTenant(
  env: Env,
  id: string,
  input: TenantSettingsInput,
  now: number,
): Promise<{ created: boolean; tenant: TenantRecord; keySet: KeySet }> {
  const previous = await getTenant(env, id);
  const settings = { ...input, authenticator: await storedAuthenticator(env, id, input.authenticator, previous) };
  const keySet = await prepareKeySet(env, id, await getKeySet(env, id), settings.signing_alg, tokenTtlOf(settings), now);
  const tenant: TenantRecord = {
    id,
    incarnation: previous?.incarnation ?? randomToken(16),
    settings,
    createdAt: previous?.createdAt ?? now,
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
  const [keys, clients] = await Promise.all([resealKeySet(env, tenant.id), resealClientSecrets(env, tenant.id)]);
  return { keys, clients, webhook };
}

/**
 * Deletes a tenant: its record first, so it stops resolving at once; then its authenticator forgets
 * its users and each store deletes its records. Its requests' Durable Objects expire on their own
 * and answer to no later tenant of the same id (docs/storage.md, incarnations).
 */
export async function removeTenant(env: Env, tenant: TenantRecord): Promise<void> {
  await deleteTenant(env, tenant.id);
  const authenticator = authenticatorFor(tenant);
  const subs = await listUserSubs(env, tenant.id);
  await Promise.all(subs.map((sub) => authenticator.forgetUser(env, tenant.id, sub)));
  await Promise.all([deleteAllUsers(env, tenant.id), deleteAllClients(env, tenant.id), deleteKeySet(env, tenant.id)]);
}
