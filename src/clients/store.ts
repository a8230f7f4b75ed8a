// Clients: RFC 7591 metadata with CIBA's backchannel_* members, validated, and their KV records.
// Secrets are server-generated (256 bits; 512 for client_secret_jwt): a basic or post secret is
// stored only as a SHA-256 hash; a client_secret_jwt secret, which must serve as an HMAC key, only
// encrypted.
import * as z from 'zod/mini';
import type { Env } from '../env.ts';
import { invalidClientMetadata, parseOrThrow } from '../errors.ts';
import { randomToken, sha256 } from '../lib/crypto.ts';
import { openSecret, resealSecret, sealSecret } from '../secrets.ts';
import { listKeyNames } from '../lib/kv.ts';
import { tenantPrefix, type TenantRef } from '../tenants/ref.ts';
import { cachedJson, forgetCached } from '../lib/isolate-cache.ts';
import { outboundUrlProblem } from '../lib/validation.ts';
import { plainToken } from '../lib/error-text.ts';

export const CIBA_GRANT_TYPE = 'urn:openid:params:grant-type:ciba';
export const SUPPORTED_GRANT_TYPES = [CIBA_GRANT_TYPE, 'refresh_token'] as const;
export const SUPPORTED_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt'] as const;
export type ClientAuthMethod = (typeof SUPPORTED_AUTH_METHODS)[number];
/** Client assertion algorithms (contract §2): HMAC for client_secret_jwt, the rest for private_key_jwt. */
export const HMAC_ALGS = ['HS256', 'HS384', 'HS512'] as const;
export const ASYMMETRIC_ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;
/** The purpose client_secret_jwt secrets are sealed under (docs/storage.md). */
export const CLIENT_SECRETS = 'client secrets';

/** JWK members that only private or symmetric keys have: never accepted in a client's key set. */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
export const SUPPORTED_DELIVERY_MODES = ['poll', 'ping', 'push'] as const;
/** The longest a poll may be held (contract §8, docs/operations.md: why 25 s). */
export const LONG_POLL_MAX_WAIT_S = 25;
export type DeliveryMode = (typeof SUPPORTED_DELIVERY_MODES)[number];

/** The metadata the admin API accepts; unknown members are ignored (RFC 7591 §2). */
const clientMetadataSchema = z.object({
  client_name: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
  token_endpoint_auth_method: z._default(z.string(), 'client_secret_basic'),
  grant_types: z._default(z.array(z.string()), [CIBA_GRANT_TYPE]),
  backchannel_token_delivery_mode: z._default(z.string(), 'poll'),
  backchannel_client_notification_endpoint: z.optional(z.string()),
  backchannel_user_code_parameter: z._default(z.boolean(), false),
  // Contract §8: long polling; each pending poll is held up to this many seconds.
  backchannel_long_poll_wait: z.optional(z.int().check(z.minimum(1), z.maximum(LONG_POLL_MAX_WAIT_S))),
  // CIBA §4: when registered, every authentication request is a request object signed with it.
  backchannel_authentication_request_signing_alg: z.optional(z.enum(ASYMMETRIC_ALGS)),
  // RFC 9396 §10: the authorization_details types this client may request.
  authorization_details_types: z.optional(z.array(z.string().check(z.minLength(1)))),
  token_endpoint_auth_signing_alg: z.optional(z.string()),
  jwks: z.optional(
    z.strictObject({
      keys: z
        .array(
          z.looseObject({ kty: z.enum(['RSA', 'EC', 'OKP']) }).check(
            z.refine((k) => !PRIVATE_JWK_MEMBERS.some((m) => m in k), 'must be a public key (no private or symmetric members)'),
            // FAPI 1.0 Part 1 §5.2.2-5: 2048 bits at least, which is 342 base64url characters of `n`.
            z.refine((k) => k.kty !== 'RSA' || (typeof k.n === 'string' && k.n.length >= 342), 'an RSA key must have a modulus of at least 2048 bits'),
          ),
        )
        .check(z.minLength(1), z.maxLength(20)),
    }),
  ),
  jwks_uri: z.optional(z.string()),
  scope: z.optional(z.string().check(z.regex(/^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/))),
  contacts: z.optional(z.array(z.string())),
});

export type ClientMetadata = z.output<typeof clientMetadataSchema> & {
  token_endpoint_auth_method: ClientAuthMethod;
  backchannel_token_delivery_mode: DeliveryMode;
};

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
  /** Epoch seconds. */
  issuedAt: number;
}

/** Does the method authenticate with a secret the server issues? */
export const usesSecret = (method: ClientAuthMethod) => method !== 'private_key_jwt';

/** Validates client metadata (contract §6) or throws invalid_client_metadata. */
export function parseClientMetadata(input: unknown, development: boolean): ClientMetadata {
  const metadata = parseOrThrow(clientMetadataSchema, input, 'invalid_client_metadata') as ClientMetadata;
  checkAuthentication(metadata, development);
  for (const grant of metadata.grant_types) {
    if (!(SUPPORTED_GRANT_TYPES as readonly string[]).includes(grant)) {
      const named = plainToken(grant);
      throw invalidClientMetadata(`grant_types: ${named ? `${named} is` : 'a grant is'} not supported; use ${SUPPORTED_GRANT_TYPES.join(' or ')}`);
    }
  }
  const mode = metadata.backchannel_token_delivery_mode;
  if (!(SUPPORTED_DELIVERY_MODES as readonly string[]).includes(mode)) {
    throw invalidClientMetadata('backchannel_token_delivery_mode: must be poll, ping or push');
  }
  if (mode === 'push' && metadata.backchannel_long_poll_wait !== undefined) {
    throw invalidClientMetadata('backchannel_long_poll_wait: a push client never polls');
  }
  const endpoint = metadata.backchannel_client_notification_endpoint;
  if (mode !== 'poll' && endpoint === undefined) {
    throw invalidClientMetadata(`backchannel_client_notification_endpoint: required for ${mode} delivery (CIBA section 4)`);
  }
  const endpointProblem = endpoint === undefined ? undefined : outboundUrlProblem(endpoint, development);
  if (endpointProblem) throw invalidClientMetadata(`backchannel_client_notification_endpoint: ${endpointProblem}`);
  return metadata;
}

/** The authentication metadata must fit together (RFC 7591 §2, contract §2). */
function checkAuthentication(metadata: ClientMetadata, development: boolean): void {
  const { token_endpoint_auth_method: method, token_endpoint_auth_signing_alg: alg, jwks, jwks_uri } = metadata;
  if (!(SUPPORTED_AUTH_METHODS as readonly string[]).includes(method)) {
    throw invalidClientMetadata(`token_endpoint_auth_method: must be one of ${SUPPORTED_AUTH_METHODS.join(', ')}`);
  }
  if (jwks !== undefined && jwks_uri !== undefined) throw invalidClientMetadata('jwks and jwks_uri: give one, not both');
  const hasKeys = jwks !== undefined || jwks_uri !== undefined;
  if (method === 'private_key_jwt') {
    if (!hasKeys) throw invalidClientMetadata('jwks or jwks_uri: required for private_key_jwt');
    if (alg !== undefined && !(ASYMMETRIC_ALGS as readonly string[]).includes(alg)) {
      throw invalidClientMetadata(`token_endpoint_auth_signing_alg: must be one of ${ASYMMETRIC_ALGS.join(', ')} for private_key_jwt`);
    }
  } else {
    // A secret client's own keys serve only its signed authentication requests.
    if (hasKeys && metadata.backchannel_authentication_request_signing_alg === undefined) {
      throw invalidClientMetadata(`jwks and jwks_uri: not used by ${method}, which authenticates with a secret`);
    }
    if (method === 'client_secret_jwt') {
      if (alg !== undefined && !(HMAC_ALGS as readonly string[]).includes(alg)) {
        throw invalidClientMetadata(`token_endpoint_auth_signing_alg: must be one of ${HMAC_ALGS.join(', ')} for client_secret_jwt`);
      }
    } else if (alg !== undefined) {
      throw invalidClientMetadata(`token_endpoint_auth_signing_alg: not used by ${method}`);
    }
  }
  if (metadata.backchannel_authentication_request_signing_alg !== undefined && !hasKeys) {
    throw invalidClientMetadata('jwks or jwks_uri: required with backchannel_authentication_request_signing_alg');
  }
  const jwksUriProblem = jwks_uri === undefined ? undefined : outboundUrlProblem(jwks_uri, development);
  if (jwksUriProblem) throw invalidClientMetadata(`jwks_uri: ${jwksUriProblem}`);
}

/** The client's public view: metadata and id, never the secret or its hash. */
export const describeClient = (client: ClientRecord) => ({
  client_id: client.clientId,
  client_id_issued_at: client.issuedAt,
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
  else if (method !== 'private_key_jwt') {
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
