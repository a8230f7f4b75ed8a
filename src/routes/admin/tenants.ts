// Admin API: tenants and their signing keys (contract §6).
import { Hono } from 'hono';
import type { Context } from 'hono';
import type { AppEnv } from '../../env.ts';
import { isDevelopment } from '../../env.ts';
import { invalidRequest, notFound } from '../../errors.ts';
import { getKeySet, prepareKeySet, rotateKey, tokenTtlOf, type KeySet } from '../../keys/store.ts';
import { randomToken } from '../../lib/crypto.ts';
import { nowSeconds } from '../../lib/time.ts';
import { route } from '../../middleware/methods.ts';
import { TENANT_ID, deleteTenant, getTenant, parseTenantSettings, putTenant, type TenantRecord } from '../../tenants/store.ts';
import { readJson } from './auth.ts';

/** Path segments that cannot name a tenant because the server uses them itself. */
const RESERVED = new Set(['admin']);

export const tenants = new Hono<AppEnv>();

/** The tenant id from the path, valid or 400. */
export function tenantIdParam(c: Context<AppEnv>): string {
  const id = c.req.param('tenant') ?? '';
  if (!TENANT_ID.test(id) || RESERVED.has(id)) {
    throw invalidRequest('The tenant id must match ^[a-z0-9][a-z0-9-]{0,62}$ and not be reserved');
  }
  return id;
}

/** The tenant named in the path, or 404. */
export async function existingTenant(c: Context<AppEnv>): Promise<TenantRecord> {
  const tenant = await getTenant(c.env, tenantIdParam(c));
  if (!tenant) throw notFound('Unknown tenant');
  return tenant;
}

const describeTenant = (tenant: TenantRecord, keySet: KeySet | undefined) => ({
  tenant: tenant.id,
  ...tenant.settings,
  created_at: tenant.createdAt,
  updated_at: tenant.updatedAt,
  signing_keys: (keySet?.keys ?? []).map((k) => ({
    kid: k.kid,
    alg: k.alg,
    created_at: k.createdAt,
    ...(k.retiredAt !== undefined ? { retired_at: k.retiredAt } : {}),
  })),
});

/**
 * Creates or replaces a tenant. A new tenant, or a new signing_alg, gets a fresh signing key first;
 * the key set learns of longer token lifetimes before any token is signed under them.
 */
export async function upsertTenant(c: Context<AppEnv>, id: string, body: unknown) {
  const settings = parseTenantSettings(body, isDevelopment(c.env));
  const now = nowSeconds();
  const previous = await getTenant(c.env, id);
  const keySet = await prepareKeySet(c.env, id, await getKeySet(c.env, id), settings.signing_alg, tokenTtlOf(settings), now);
  const tenant: TenantRecord = {
    id,
    incarnation: previous?.incarnation ?? randomToken(16),
    settings,
    createdAt: previous?.createdAt ?? now,
    updatedAt: now,
  };
  await putTenant(c.env, tenant);
  return { created: !previous, view: describeTenant(tenant, keySet) };
}

route(tenants, '/:tenant', {
  PUT: async (c) => {
    const id = tenantIdParam(c);
    const { created, view } = await upsertTenant(c, id, await readJson(c));
    return c.json(view, created ? 201 : 200);
  },
  GET: async (c) => {
    const tenant = await existingTenant(c);
    return c.json(describeTenant(tenant, await getKeySet(c.env, tenant.id)));
  },
  DELETE: async (c) => {
    const tenant = await existingTenant(c);
    await deleteTenant(c.env, tenant.id);
    return c.body(null, 204);
  },
});

route(tenants, '/:tenant/keys/rotate', {
  POST: async (c) => {
    const tenant = await existingTenant(c);
    const { settings } = tenant;
    const current = await getKeySet(c.env, tenant.id);
    const rotated = await rotateKey(c.env, tenant.id, current, settings.signing_alg, tokenTtlOf(settings), nowSeconds());
    return c.json({ kid: rotated.keys[0]!.kid });
  },
});
