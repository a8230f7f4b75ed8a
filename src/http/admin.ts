// Path parameters of the admin API (docs/protocol.md §6): an invalid id is 400, an unknown one 404.
import type { Context } from 'hono';
import type { AppEnv } from './app-env.ts';
import { invalidRequest, notFound } from '../errors.ts';
import { TENANT_ID, getTenant, type TenantRecord } from '../tenants/store.ts';

/** Path segments that cannot name a tenant because the server uses them itself. */
const RESERVED = new Set(['admin']);

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
  const tenant = await getTenant(c.env, tenantIdParam(c), { fresh: true });
  if (!tenant) throw notFound('Unknown tenant');
  return tenant;
}
