// Clients' KV records (their metadata validated by metadata.ts) and their secrets.
// Secrets are server-generated (256 bits; 512 for client_secret_jwt): a basic or post secret is
// stored only as a SHA-256 hash; a client_secret_jwt secret, which must serve as an HMAC key, only
// encrypted.
import type { Env } from '../env.ts';
import { randomToken, sha256 } from '../lib/crypto.ts';
import { openSecret, resealSecret, sealSecret } from '../secrets.ts';
import { listKeyNames } from '../lib/kv.ts';
import { tenantPrefix, type TenantRef } from '../tenants/ref.ts';
import { cachedJson, forgetCached } from '../lib/isolate-cache.ts';
import { usesSecret, type ClientAuthMethod } from '../vocabulary.ts';
import { storedInstantMs, toEpochSeconds } from '../lib/time.ts';
import type { ClientMetadata } from './metadata.ts';

/** The purpose client_secret_jwt secrets are sealed under (docs/storage.md). */
export const CLIENT_SECRETS = 'client secrets';

export interface ClientRecord {
  clientId: string;
  /**
   * Minted at registration, kept when the metadata or secret is replaced: a client deleted and
   * registered again under the same client_id (the development seed's demo-rp) is another client,
   * and the grants of the old one stay dead (docs/storage.md, incarnations). Absent on records
   * written before clients had one.
   */
  incarnation?: string;
  tenantId: string;
  metadata: ClientMetadata;
  /** client_secret_basic and client_secret_post: SHA-256 of the client secret, base64url. */
  secretHash?: string;
  /** client_secret_jwt: the client secret, encrypted (an HMAC key must be readable). */
  secretJwe?: string;
  /** Epoch milliseconds (seconds in records written before; read by storedInstantMs). */
  issuedAt: number;
}

/** The client's public view: metadata and id, never the secret or its hash. */
export const describeClient = (client: ClientRecord) => ({
  client_id: client.clientId,
  client_id_issued_at: toEpochSeconds(storedInstantMs(client.issuedAt)),
  ...client.metadata,
});

/** The KV key of a client record (docs/storage.md). */
export const clientKey = (tenant: TenantRef, clientId: string) => `${tenantPrefix(tenant)}client:${clientId}`;
export const CLIENT_ID = /^[A-Za-z0-9._~-]{1,128}$/;

/** The client record; `fresh` reads KV itself (the admin API), else this isolate's copy may serve (lib/isolate-cache.ts). */
export async function getClient(env: Env, tenant: TenantRef, clientId: string, { fresh = false } = {}): Promise<ClientRecord | undefined> {
  if (!CLIENT_ID.test(clientId)) return undefined;
  const key = clientKey(tenant, clientId);
  if (fresh) return (await env.CONFIG.get<ClientRecord>(key, 'json')) ?? undefined;
  return cachedJson<ClientRecord>(env.CONFIG, key);
}

export async function putClient(env: Env, tenant: TenantRef, client: ClientRecord): Promise<void> {
  await env.CONFIG.put(clientKey(tenant, client.clientId), JSON.stringify(client));
  forgetCached(clientKey(tenant, client.clientId));
}

/**
 * A new client secret: 256 CSPRNG bits, or 512 for client_secret_jwt, whose secret's octets are the
 * HMAC key: OpenID Connect Core §16.19 asks for at least 64 of them for HS512 (48 for HS384).
 */
const newClientSecret = (method: ClientAuthMethod) => randomToken(method === 'client_secret_jwt' ? 64 : 32);

/** How the secret is kept for the method: a hash for basic and post, sealed for client_secret_jwt. */
async function keptSecret(env: Env, tenantId: string, method: ClientAuthMethod, secret: string) {
  return method === 'client_secret_jwt'
    ? { secretJwe: await sealSecret(env, CLIENT_SECRETS, tenantId, secret) }
    : { secretHash: await sha256(secret) };
}

/** The client_secret_jwt secret, decrypted, or undefined when the client has none. */
export async function hmacSecretOf(env: Env, client: ClientRecord): Promise<string | undefined> {
  return client.secretJwe === undefined ? undefined : openSecret(env, CLIENT_SECRETS, client.tenantId, client.secretJwe, { remember: true });
}

/**
 * Registers a client (RFC 7591 §3.2.1): a fresh client_id (16 CSPRNG bytes) and, for the secret
 * methods, a secret, unless the caller fixes them (the development seed's demo-rp). Returns the
 * record and the secret, shown once; a private_key_jwt client has none.
 */
export async function registerClient(
  env: Env,
  tenant: TenantRef,
  metadata: ClientMetadata,
  now: number,
  fixed?: { clientId: string; secret: string },
): Promise<{ client: ClientRecord; secret?: string }> {
  const method = metadata.token_endpoint_auth_method;
  const secret = usesSecret(method) ? (fixed?.secret ?? newClientSecret(method)) : undefined;
  const client: ClientRecord = {
    clientId: fixed?.clientId ?? randomToken(16),
    incarnation: randomToken(16),
    tenantId: tenant.id,
    metadata,
    ...(secret !== undefined ? await keptSecret(env, tenant.id, method, secret) : {}),
    issuedAt: now,
  };
  await putClient(env, tenant, client);
  return { client, ...(secret !== undefined ? { secret } : {}) };
}

/**
 * Replaces a client's metadata, never its secret. A secret that cannot serve the new method is
 * dropped (a hash cannot become an HMAC key; a private_key_jwt client has none): the client then
 * authenticates once POST …/secret has issued one. A sealed secret serves basic and post as its hash.
 */
export async function replaceClientMetadata(
  env: Env,
  tenant: TenantRef,
  client: ClientRecord,
  metadata: ClientMetadata,
): Promise<ClientRecord> {
  const method = metadata.token_endpoint_auth_method;
  const { secretHash, secretJwe, ...rest } = client;
  let kept: Pick<ClientRecord, 'secretHash' | 'secretJwe'> = {};
  if (method === 'client_secret_jwt') kept = secretJwe !== undefined ? { secretJwe } : {};
  else if (usesSecret(method)) {
    const secret = await hmacSecretOf(env, client);
    kept = secretHash !== undefined ? { secretHash } : secret !== undefined ? { secretHash: await sha256(secret) } : {};
  }
  const updated: ClientRecord = { ...rest, metadata, ...kept };
  await putClient(env, tenant, updated);
  return updated;
}

/**
 * Gives a secret-method client a new secret; the old one stops working (within KV's propagation,
 * docs/storage.md). Undefined for a private_key_jwt client, which has no secret.
 */
export async function rotateClientSecret(env: Env, tenant: TenantRef, client: ClientRecord): Promise<string | undefined> {
  const method = client.metadata.token_endpoint_auth_method;
  if (!usesSecret(method)) return undefined;
  const secret = newClientSecret(method);
  const { secretHash: _hash, secretJwe: _sealed, ...rest } = client;
  await putClient(env, tenant, { ...rest, ...(await keptSecret(env, client.tenantId, method, secret)) });
  return secret;
}

export async function deleteClient(env: Env, tenant: TenantRef, clientId: string): Promise<void> {
  await env.CONFIG.delete(clientKey(tenant, clientId));
  forgetCached(clientKey(tenant, clientId));
}

/** Re-encrypts every client_secret_jwt secret under the current KEY_ENCRYPTION_SECRET; returns how many. */
export async function resealClientSecrets(env: Env, tenant: TenantRef): Promise<number> {
  let count = 0;
  for (const name of await listKeyNames(env.CONFIG, clientKey(tenant, ''))) {
    const client = await env.CONFIG.get<ClientRecord>(name, 'json');
    if (!client?.secretJwe) continue;
    await putClient(env, tenant, { ...client, secretJwe: await resealSecret(env, CLIENT_SECRETS, tenant.id, client.secretJwe) });
    count++;
  }
  return count;
}

export const displayName = (client: ClientRecord) => client.metadata.client_name ?? client.clientId;
