// Admin API: clients (RFC 7591 metadata) and their secrets (contract §6).
import { Hono } from 'hono';
import type { Context } from 'hono';
import type { AppEnv } from '../../env.ts';
import { isDevelopment } from '../../env.ts';
import { invalidRequest, notFound } from '../../errors.ts';
import {
  CLIENT_ID,
  deleteClient,
  describeClient,
  getClient,
  parseClientMetadata,
  putClient,
  type ClientRecord,
} from '../../clients/store.ts';
import { randomToken, sha256 } from '../../lib/crypto.ts';
import { nowSeconds } from '../../lib/time.ts';
import { route } from '../../middleware/methods.ts';
import { readJson } from './auth.ts';
import { existingTenant } from './tenants.ts';

export const clients = new Hono<AppEnv>();

/** A new client secret: 256 CSPRNG bits. Only its hash is kept. */
export const newClientSecret = () => randomToken(32);

async function existingClient(c: Context<AppEnv>): Promise<ClientRecord> {
  const tenant = await existingTenant(c);
  const clientId = c.req.param('client_id') ?? '';
  if (!CLIENT_ID.test(clientId)) throw invalidRequest('The client_id is not valid');
  const client = await getClient(c.env, tenant.id, clientId);
  if (!client) throw notFound('Unknown client');
  return client;
}

route(clients, '/:tenant/clients', {
  POST: async (c) => {
    const tenant = await existingTenant(c);
    const metadata = parseClientMetadata(await readJson(c), isDevelopment(c.env));
    const secret = newClientSecret();
    const client: ClientRecord = {
      clientId: randomToken(16),
      tenantId: tenant.id,
      metadata,
      secretHash: await sha256(secret),
      issuedAt: nowSeconds(),
    };
    await putClient(c.env, client);
    return c.json({ ...describeClient(client), client_secret: secret, client_secret_expires_at: 0 }, 201, {
      'Cache-Control': 'no-store',
    });
  },
});

route(clients, '/:tenant/clients/:client_id', {
  GET: async (c) => c.json(describeClient(await existingClient(c))),
  PUT: async (c) => {
    const client = await existingClient(c);
    const metadata = parseClientMetadata(await readJson(c), isDevelopment(c.env));
    const updated = { ...client, metadata };
    await putClient(c.env, updated);
    return c.json(describeClient(updated));
  },
  DELETE: async (c) => {
    const client = await existingClient(c);
    await deleteClient(c.env, client.tenantId, client.clientId);
    return c.body(null, 204);
  },
});

route(clients, '/:tenant/clients/:client_id/secret', {
  POST: async (c) => {
    const client = await existingClient(c);
    const secret = newClientSecret();
    await putClient(c.env, { ...client, secretHash: await sha256(secret) });
    return c.json({ client_id: client.clientId, client_secret: secret }, 200, { 'Cache-Control': 'no-store' });
  },
});
