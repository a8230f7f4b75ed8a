// Clients: RFC 7591 metadata with CIBA's backchannel_* members, validated, and their KV records.
// Only a SHA-256 hash of the (256-bit, server-generated) client secret is stored.
import * as z from 'zod/mini';
import '../lib/schema.ts';
import type { Env } from '../env.ts';
import { invalidClientMetadata, parseOrThrow } from '../errors.ts';
import { randomToken, sha256 } from '../lib/crypto.ts';
import { deleteKeysWithPrefix } from '../lib/kv.ts';
import { isAllowedOutboundUrl } from '../lib/validation.ts';

export const CIBA_GRANT_TYPE = 'urn:openid:params:grant-type:ciba';
export const SUPPORTED_AUTH_METHODS = ['client_secret_basic', 'client_secret_post'] as const;
export type ClientAuthMethod = (typeof SUPPORTED_AUTH_METHODS)[number];
export const SUPPORTED_DELIVERY_MODES = ['poll', 'ping', 'push'] as const;
export type DeliveryMode = (typeof SUPPORTED_DELIVERY_MODES)[number];

const notYet = (what: string) => `${what} is not supported yet`;

/** The metadata the admin API accepts; unknown members are ignored (RFC 7591 §2). */
const notYetMember = (what: string) => z.optional(z.undefined({ error: notYet(what) }));

const clientMetadataSchema = z.object({
  client_name: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
  token_endpoint_auth_method: z._default(z.string(), 'client_secret_basic'),
  grant_types: z._default(z.array(z.string()), [CIBA_GRANT_TYPE]),
  backchannel_token_delivery_mode: z._default(z.string(), 'poll'),
  backchannel_client_notification_endpoint: z.optional(z.string()),
  backchannel_user_code_parameter: z._default(z.boolean(), false),
  backchannel_authentication_request_signing_alg: notYetMember(
    'backchannel_authentication_request_signing_alg (signed request objects)',
  ),
  jwks: notYetMember('jwks (the JWT client authentication methods)'),
  jwks_uri: notYetMember('jwks_uri (the JWT client authentication methods)'),
  scope: z.optional(z.string().check(z.regex(/^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/))),
  contacts: z.optional(z.array(z.string())),
});

export type ClientMetadata = z.output<typeof clientMetadataSchema> & {
  token_endpoint_auth_method: ClientAuthMethod;
  backchannel_token_delivery_mode: DeliveryMode;
};

export interface ClientRecord {
  clientId: string;
  tenantId: string;
  metadata: ClientMetadata;
  /** SHA-256 of the client secret, base64url. */
  secretHash: string;
  /** Epoch seconds. */
  issuedAt: number;
}

/** Validates client metadata (contract §6) or throws invalid_client_metadata. */
export function parseClientMetadata(input: unknown, development: boolean): ClientMetadata {
  const metadata = parseOrThrow(clientMetadataSchema, input, 'invalid_client_metadata') as ClientMetadata;
  const method = metadata.token_endpoint_auth_method;
  if (!(SUPPORTED_AUTH_METHODS as readonly string[]).includes(method)) {
    throw invalidClientMetadata(
      ['client_secret_jwt', 'private_key_jwt'].includes(method)
        ? `token_endpoint_auth_method: ${notYet(method)}`
        : 'token_endpoint_auth_method: must be client_secret_basic or client_secret_post',
    );
  }
  for (const grant of metadata.grant_types) {
    if (grant === CIBA_GRANT_TYPE) continue;
    throw invalidClientMetadata(
      grant === 'refresh_token'
        ? `grant_types: ${notYet('the refresh_token grant')}`
        : `grant_types: ${grant} is not supported`,
    );
  }
  const mode = metadata.backchannel_token_delivery_mode;
  if (!(SUPPORTED_DELIVERY_MODES as readonly string[]).includes(mode)) {
    throw invalidClientMetadata('backchannel_token_delivery_mode: must be poll, ping or push');
  }
  const endpoint = metadata.backchannel_client_notification_endpoint;
  if (mode !== 'poll' && endpoint === undefined) {
    throw invalidClientMetadata(`backchannel_client_notification_endpoint: required for ${mode} delivery (CIBA §4)`);
  }
  if (endpoint !== undefined && !isAllowedOutboundUrl(endpoint, development)) {
    throw invalidClientMetadata('backchannel_client_notification_endpoint must be an https URL');
  }
  return metadata;
}

/** The client's public view: metadata and id, never the secret or its hash. */
export const describeClient = (client: ClientRecord) => ({
  client_id: client.clientId,
  client_id_issued_at: client.issuedAt,
  ...client.metadata,
});

/** The KV key of a client record (docs/storage.md). */
export const clientKey = (tenantId: string, clientId: string) => `tenant:${tenantId}:client:${clientId}`;
export const CLIENT_ID = /^[A-Za-z0-9._~-]{1,128}$/;

export async function getClient(env: Env, tenantId: string, clientId: string): Promise<ClientRecord | undefined> {
  if (!CLIENT_ID.test(clientId)) return undefined;
  return (await env.CONFIG.get<ClientRecord>(clientKey(tenantId, clientId), 'json')) ?? undefined;
}

export async function putClient(env: Env, client: ClientRecord): Promise<void> {
  await env.CONFIG.put(clientKey(client.tenantId, client.clientId), JSON.stringify(client));
}

/** A new client secret: 256 CSPRNG bits. Only its hash is kept. */
const newClientSecret = () => randomToken(32);

/**
 * Registers a client (RFC 7591 §3.2.1): a fresh client_id (16 CSPRNG bytes) and secret, unless the
 * caller fixes them (the development seed's demo-rp). Returns the record and the secret, shown once.
 */
export async function registerClient(
  env: Env,
  tenantId: string,
  metadata: ClientMetadata,
  now: number,
  fixed?: { clientId: string; secret: string },
): Promise<{ client: ClientRecord; secret: string }> {
  const secret = fixed?.secret ?? newClientSecret();
  const client: ClientRecord = {
    clientId: fixed?.clientId ?? randomToken(16),
    tenantId,
    metadata,
    secretHash: await sha256(secret),
    issuedAt: now,
  };
  await putClient(env, client);
  return { client, secret };
}

/** Gives the client a new secret; the old one stops working (within KV's propagation, docs/storage.md). */
export async function rotateClientSecret(env: Env, client: ClientRecord): Promise<string> {
  const secret = newClientSecret();
  await putClient(env, { ...client, secretHash: await sha256(secret) });
  return secret;
}

export async function deleteClient(env: Env, tenantId: string, clientId: string): Promise<void> {
  await env.CONFIG.delete(clientKey(tenantId, clientId));
}

/** Deletes every client of the tenant. */
export async function deleteAllClients(env: Env, tenantId: string): Promise<void> {
  await deleteKeysWithPrefix(env.CONFIG, clientKey(tenantId, ''));
}

export const displayName = (client: ClientRecord) => client.metadata.client_name ?? client.clientId;
