// Tenants (environments): their settings schema (docs/protocol.md §6) and their KV records.
import * as z from 'zod/mini';
import type { Env } from '../env.ts';
import { invalidRequest, parseOrThrow } from '../errors.ts';
import { isWebhookSecret, outboundUrlProblem } from '../lib/validation.ts';
import { JURISDICTIONS } from './ref.ts';
import { cachedJson, forgetCached } from '../lib/isolate-cache.ts';
import { FAPI_ALGS, PROFILES, SIGNING_ALGS, SCOPE_TOKEN } from '../vocabulary.ts';

export const TENANT_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * Every lifetime has a ceiling (docs/operations.md): a request's expiry must fit a Durable Object
 * alarm and a date, and tokens, keys and grants must leave in a bounded time.
 */
export const LIFETIME_BOUNDS = {
  auth_req_ttl: 86400,
  max_auth_req_ttl: 86400,
  poll_interval: 300,
  access_token_ttl: 86400,
  id_token_ttl: 86400,
  refresh_token_ttl: 365 * 86400,
} as const;

const seconds = (name: keyof typeof LIFETIME_BOUNDS, fallback: number) =>
  z._default(z.int().check(z.positive(), z.maximum(LIFETIME_BOUNDS[name])), fallback);
const absoluteUri = z
  .string()
  .check(z.refine((v) => URL.canParse(v) && !new URL(v).hash, 'must be an absolute URI without a fragment'));

const authenticatorSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('builtin') }),
    z.strictObject({
      type: z.literal('webhook'),
      url: z.string(),
      // Optional on a replacement: the stored secret is kept when none is given.
      secret: z.optional(z.string().check(z.refine(isWebhookSecret, 'must be whsec_ and 24 to 64 bytes in base64'))),
    }),
  ],
  { error: 'authenticator.type must be builtin or webhook' },
);

const trustedHintIssuer = z
  .strictObject({
    issuer: z.string().check(z.minLength(1)),
    jwks_uri: z.optional(z.url()),
    jwks: z.optional(z.object({ keys: z.array(z.record(z.string(), z.unknown())) })),
  })
  .check(z.refine((v) => (v.jwks_uri === undefined) !== (v.jwks === undefined), 'give exactly one of jwks_uri and jwks'));

/** Tenant settings as the admin API takes them; every member has the default docs/protocol.md §6 gives. */
export const tenantSettingsSchema = z
  .strictObject({
    authenticator: z._default(authenticatorSchema, { type: 'builtin' as const }),
    auth_req_ttl: seconds('auth_req_ttl', 300),
    max_auth_req_ttl: seconds('max_auth_req_ttl', 3600),
    poll_interval: seconds('poll_interval', 5),
    access_token_ttl: seconds('access_token_ttl', 3600),
    id_token_ttl: seconds('id_token_ttl', 3600),
    refresh_token_ttl: seconds('refresh_token_ttl', 30 * 24 * 3600),
    signing_alg: z._default(z.enum(SIGNING_ALGS), 'ES256'),
    scopes: z._default(z.array(z.string().check(z.regex(SCOPE_TOKEN, 'not a valid scope token'))), [
      'openid',
      'profile',
      'email',
      'phone',
    ]),
    resources: z._default(z.array(absoluteUri), []),
    authorization_details_types_supported: z._default(z.array(z.string().check(z.minLength(1))), []),
    // The acr values the tenant's authenticator can achieve, advertised in discovery when given.
    acr_values_supported: z._default(z.array(z.string().check(z.regex(/^[\x21-\x7E]+$/, 'not a valid acr value'))), []),
    backchannel_user_code_parameter_supported: z._default(z.boolean(), false),
    trusted_hint_issuers: z._default(z.array(trustedHintIssuer), []),
    // Issue 12: the built-in authenticator's device page, off unless enabled.
    device_page: z._default(z.boolean(), false),
    // docs/protocol.md §8: data residency, fixed at creation (cascades/tenants.ts).
    jurisdiction: z.optional(z.enum(JURISDICTIONS)),
    // docs/protocol.md §8: push-bombing limits per user, on by default.
    user_pending_limit: z._default(z.int().check(z.minimum(1), z.maximum(1000)), 3),
    user_request_limit: z._default(z.int().check(z.minimum(1), z.maximum(10000)), 10),
    // docs/protocol.md §9: fapi-ciba enforces FAPI-CIBA on the tenant and every client under it.
    profile: z._default(z.enum(PROFILES), 'ciba'),
    // docs/protocol.md §9: the acr an approval on the device page reports, by the method the user chose.
    acr_by_method: z._default(z.record(z.string(), z.string().check(z.regex(/^[\x21-\x7E]+$/, 'not a valid acr value'))), {}),
    // RFC 9449 §8: DPoP proofs must carry a nonce the server gave (stateless: docs/protocol.md §9).
    dpop_nonce_required: z._default(z.boolean(), false),
  })
  .check(
    z.refine((s) => s.scopes.includes('openid'), { message: 'must include openid', path: ['scopes'] }),
    z.refine((s) => s.auth_req_ttl <= s.max_auth_req_ttl, { message: 'must not exceed max_auth_req_ttl', path: ['auth_req_ttl'] }),
  );

/** Settings as the admin API takes them: a webhook secret in the clear. */
export type TenantSettingsInput = z.output<typeof tenantSettingsSchema>;

/** The authenticator as stored: a webhook's secret only sealed (docs/storage.md, what is encrypted). */
export type StoredAuthenticator = { type: 'builtin' } | { type: 'webhook'; url: string; secretJwe: string };

/** Settings as stored and used. */
export type TenantSettings = Omit<TenantSettingsInput, 'authenticator'> & { authenticator: StoredAuthenticator };

/** The purpose webhook secrets are sealed under. */
export const WEBHOOK_SECRETS = 'webhook secrets';

/** The longest access token a fapi-ciba tenant issues, in seconds (docs/protocol.md §10). */
export const FAPI_MAX_ACCESS_TOKEN_TTL = 600;

/**
 * Parses tenant settings from the admin API, then checks what the schema cannot know: outbound URLs
 * must be https and not point inside a network, or loopback in development (docs/protocol.md §6, §7),
 * and the fapi-ciba profile's own rules (docs/protocol.md §10).
 */
export function parseTenantSettings(input: unknown, development: boolean): TenantSettingsInput {
  const settings = parseOrThrow(tenantSettingsSchema, input);
  const { authenticator } = settings;
  const urlProblem = authenticator.type === 'webhook' ? outboundUrlProblem(authenticator.url, development) : undefined;
  if (urlProblem) throw invalidRequest(`authenticator.url: ${urlProblem}`);
  settings.trusted_hint_issuers.forEach(({ jwks_uri }, i) => {
    const problem = jwks_uri === undefined ? undefined : outboundUrlProblem(jwks_uri, development);
    if (problem) throw invalidRequest(`trusted_hint_issuers.${i}.jwks_uri: ${problem}`);
  });
  if (settings.profile === 'fapi-ciba') {
    if (!(FAPI_ALGS as readonly string[]).includes(settings.signing_alg)) throw invalidRequest('signing_alg: must be PS256 or ES256 under fapi-ciba');
    if (settings.access_token_ttl > FAPI_MAX_ACCESS_TOKEN_TTL) {
      throw invalidRequest(`access_token_ttl: must be at most ${FAPI_MAX_ACCESS_TOKEN_TTL} under fapi-ciba`);
    }
  }
  return settings;
}

export interface TenantRecord {
  id: string;
  /** Minted when the id is created, kept when it is replaced: requests of a deleted tenant never pass to a new one. */
  incarnation: string;
  settings: TenantSettings;
  /** Epoch milliseconds (seconds in records written before; read by storedInstantMs). */
  createdAt: number;
  updatedAt: number;
}

/** The KV key of a tenant record (docs/storage.md). */
export const tenantKey = (tenantId: string) => `tenant:${tenantId}`;

/** The tenant record; `fresh` reads KV itself (the admin API), else this isolate's copy may serve (lib/isolate-cache.ts). */
export async function getTenant(env: Env, tenantId: string, { fresh = false } = {}): Promise<TenantRecord | undefined> {
  if (!TENANT_ID.test(tenantId)) return undefined;
  const key = tenantKey(tenantId);
  if (fresh) return (await env.CONFIG.get<TenantRecord>(key, 'json')) ?? undefined;
  return cachedJson<TenantRecord>(env.CONFIG, key);
}

export async function putTenant(env: Env, tenant: TenantRecord): Promise<void> {
  await env.CONFIG.put(tenantKey(tenant.id), JSON.stringify(tenant));
  forgetCached(tenantKey(tenant.id));
}

/** Deletes the tenant record; the tenant's other records belong to their own stores (cascades/tenants.ts). */
export async function deleteTenant(env: Env, tenantId: string): Promise<void> {
  await env.CONFIG.delete(tenantKey(tenantId));
  forgetCached(tenantKey(tenantId));
}
