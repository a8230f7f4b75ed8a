// Admin API: clients (RFC 7591 metadata) and their secrets (docs/protocol.md §6).
import { Hono } from '../../http/hono.ts';
import type { Context } from 'hono';
import type { AppEnv } from '../../http/app-env.ts';
import { isDevelopment } from '../../env.ts';
import { invalidRequest, noStoreHeaders, notFound } from '../../errors.ts';
import { CLIENT_ID, deleteClient, describeClient, getClient, registerClient, replaceClientMetadata, rotateClientSecret, type ClientRecord } from '../../clients/store.ts';
import { parseClientMetadata, type ClientMetadata } from '../../clients/metadata.ts';
import { assertProfileFits } from '../../clients/profile.ts';
import { existingTenant } from '../../http/admin.ts';
import type { TenantRecord } from '../../tenants/store.ts';
import { readJson } from '../../http/form.ts';
import { route } from '../../http/route.ts';

export const clients = new Hono<AppEnv>();

async function existingClient(c: Context<AppEnv>): Promise<{ tenant: TenantRecord; client: ClientRecord }> {
  const tenant = await existingTenant(c);
  const clientId = c.req.param('client_id') ?? '';
  if (!CLIENT_ID.test(clientId)) throw invalidRequest('The client_id is not valid');
  const client = await getClient(c.env, tenant, clientId, { fresh: true });
  if (!client) throw notFound('Unknown client');
  return { tenant, client };
}

/** The body's client metadata, valid and fit for the tenant's profile (docs/protocol.md §10). */
async function metadataFor(c: Context<AppEnv>, tenant: TenantRecord): Promise<ClientMetadata> {
  const metadata = parseClientMetadata(await readJson(c), isDevelopment(c.env));
  assertProfileFits(metadata, tenant.settings.profile);
  return metadata;
}

route(clients, '/:tenant/clients', {
  POST: async (c) => {
    const tenant = await existingTenant(c);
    const metadata = await metadataFor(c, tenant);
    const { client, secret } = await registerClient(c.env, tenant, metadata, Date.now());
    return c.json(
      { ...describeClient(client), ...(secret !== undefined ? { client_secret: secret, client_secret_expires_at: 0 } : {}) },
      201,
      { 'Cache-Control': noStoreHeaders['Cache-Control'] },
    );
  },
});

route(clients, '/:tenant/clients/:client_id', {
  GET: async (c) => c.json(describeClient((await existingClient(c)).client)),
  PUT: async (c) => {
    const { tenant, client } = await existingClient(c);
    const metadata = await metadataFor(c, tenant);
    return c.json(describeClient(await replaceClientMetadata(c.env, tenant, client, metadata)));
  },
  DELETE: async (c) => {
    const { tenant, client } = await existingClient(c);
    await deleteClient(c.env, tenant, client.clientId);
    return c.body(null, 204);
  },
});

route(clients, '/:tenant/clients/:client_id/secret', {
  POST: async (c) => {
    const { tenant, client } = await existingClient(c);
    const secret = await rotateClientSecret(c.env, tenant, client);
    if (secret === undefined) throw invalidRequest(`This client authenticates with ${client.metadata.token_endpoint_auth_method} and has no secret`);
    return c.json({ client_id: client.clientId, client_secret: secret }, 200, {
      'Cache-Control': noStoreHeaders['Cache-Control'],
    });
  },
});
