// Admin API: tenants and their signing keys (docs/protocol.md §6).
import { Hono } from '../../http/hono.ts';
import type { AppEnv } from '../../http/app-env.ts';
import { isDevelopment } from '../../env.ts';
import { invalidRequest } from '../../errors.ts';
import { plainToken } from '../../lib/error-text.ts';
import { AMR_BY_METHOD } from '../../tokens/amr.ts';
import { existingTenant, tenantIdParam } from '../../http/admin.ts';
import { readJson } from '../../http/form.ts';
import { route } from '../../http/route.ts';
import { getKeySet, rotateKey, tokenTtlOf, type KeySet } from '../../keys/store.ts';
import { storedInstantMs, toEpochSeconds } from '../../lib/time.ts';
import { removeTenant, resealTenant, upsertTenant } from '../../cascades/tenants.ts';
import { parseTenantSettings, type TenantRecord } from '../../tenants/store.ts';

export const tenants = new Hono<AppEnv>();

/** The tenant's view: its settings, never a webhook secret, and its keys' public facts. */
const describeTenant = (tenant: TenantRecord, keySet: KeySet | undefined) => ({
  tenant: tenant.id,
  ...tenant.settings,
  authenticator:
    tenant.settings.authenticator.type === 'webhook'
      ? { type: 'webhook', url: tenant.settings.authenticator.url }
      : tenant.settings.authenticator,
  created_at: toEpochSeconds(storedInstantMs(tenant.createdAt)),
  updated_at: toEpochSeconds(storedInstantMs(tenant.updatedAt)),
  signing_keys: (keySet?.keys ?? []).map((k) => ({
    kid: k.kid,
    alg: k.alg,
    created_at: toEpochSeconds(k.createdAt),
    ...(k.activatesAt !== undefined ? { activates_at: toEpochSeconds(k.activatesAt) } : {}),
    ...(k.retiredAt !== undefined ? { retired_at: toEpochSeconds(k.retiredAt) } : {}),
  })),
});

/** docs/protocol.md §10: acr_by_method maps only the methods the device page offers. */
function assertDeviceMethods(acrByMethod: Record<string, string>): void {
  const methods = Object.keys(AMR_BY_METHOD);
  const other = Object.keys(acrByMethod).find((m) => !methods.includes(m));
  if (other !== undefined) {
    throw invalidRequest(`acr_by_method: ${plainToken(other) ?? 'a key'} is not a method of the device page; use ${methods.join(', ')}`);
  }
}

route(tenants, '/:tenant', {
  PUT: async (c) => {
    const id = tenantIdParam(c);
    const settings = parseTenantSettings(await readJson(c), isDevelopment(c.env));
    assertDeviceMethods(settings.acr_by_method);
    const { created, tenant, keySet } = await upsertTenant(c.env, id, settings, Date.now());
    return c.json(describeTenant(tenant, keySet), created ? 201 : 200);
  },
  GET: async (c) => {
    const tenant = await existingTenant(c);
    return c.json(describeTenant(tenant, await getKeySet(c.env, tenant, { fresh: true })));
  },
  DELETE: async (c) => {
    const tenant = await existingTenant(c);
    await removeTenant(c.env, tenant);
    return c.body(null, 204);
  },
});

route(tenants, '/:tenant/reseal', {
  POST: async (c) => c.json({ resealed: await resealTenant(c.env, await existingTenant(c)) }),
});

route(tenants, '/:tenant/keys/rotate', {
  POST: async (c) => {
    const tenant = await existingTenant(c);
    const { settings } = tenant;
    const current = await getKeySet(c.env, tenant, { fresh: true });
    const immediate = c.req.query('immediate') === 'true';
    const now = Date.now();
    const rotated = await rotateKey(c.env, tenant, current, settings.signing_alg, tokenTtlOf(settings), now, { immediate });
    const key = rotated.keys[0]!;
    return c.json({ kid: key.kid, activates_at: toEpochSeconds(key.activatesAt ?? now), immediate });
  },
});
