// Tenant resolution: `/{tenant}/...` names a tenant that exists, else 404 (docs/protocol.md §1).
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../http/app-env.ts';
import { notFound } from '../errors.ts';
import { getTenant } from '../tenants/store.ts';

/** The issuer of a tenant: PUBLIC_ORIGIN when set, else the request's origin (docs/protocol.md §1). */
export function issuerFor(publicOrigin: string | undefined, requestUrl: string, tenantId: string): string {
  const origin = publicOrigin ? publicOrigin.replace(/\/+$/, '') : new URL(requestUrl).origin;
  return `${origin}/${tenantId}/as`;
}

export const resolveTenant = createMiddleware<AppEnv>(async (c, next) => {
  const tenantId = c.req.param('tenant') ?? '';
  const tenant = await getTenant(c.env, tenantId);
  if (!tenant) throw notFound('Unknown tenant');
  c.set('tenantId', tenantId);
  c.set('tenant', tenant);
  c.set('issuer', issuerFor(c.env.PUBLIC_ORIGIN, c.req.url, tenantId));
  await next();
});
