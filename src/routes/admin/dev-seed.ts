// POST /admin/dev/seed — development only: seeds the demo tenant of the README's quick start idempotently, so
// `npm run dev` is ready with no manual step. Answers 404 outside development.
import { Hono } from '../../http/hono.ts';
import type { AppEnv } from '../../http/app-env.ts';
import { isDevelopment } from '../../env.ts';
import { notConfigured, notFound } from '../../errors.ts';
import { checkSigningKey, getKeySet } from '../../keys/store.ts';
import { getClient, registerClient } from '../../clients/store.ts';
import { parseClientMetadata } from '../../clients/metadata.ts';
import { route } from '../../http/route.ts';
import { upsertTenant } from '../../cascades/tenants.ts';
import { getTenant, parseTenantSettings } from '../../tenants/store.ts';
import { getUser, putUser } from '../../users/store.ts';
import { CIBA_GRANT_TYPE } from '../../vocabulary.ts';

export const DEMO = {
  tenant: 'demo',
  clientId: 'demo-rp',
  clientSecret: 'demo-secret',
  /** The same bank again, long polling (docs/protocol.md §8): the README's walk-through shows both. */
  longPollClientId: 'demo-rp-live',
  sub: 'alice',
  loginHint: 'alice@example.com',
} as const;

export const devSeed = new Hono<AppEnv>();

route(devSeed, '/seed', {
  POST: async (c) => {
    if (!isDevelopment(c.env)) throw notFound();
    const now = Date.now();
    const created: string[] = [];
    let tenant = await getTenant(c.env, DEMO.tenant, { fresh: true });
    // A demo tenant from an older version (no device page, or no key under its incarnation's records)
    // is brought up to date, keeping its incarnation; a missing one is created.
    const current = tenant && tenant.settings.device_page === true && (await getKeySet(c.env, tenant, { fresh: true }));
    if (!tenant || !current) {
      tenant = (await upsertTenant(c.env, DEMO.tenant, parseTenantSettings({ device_page: true }, true), now)).tenant;
      created.push(`tenant ${DEMO.tenant}`);
    }
    if (!(await getClient(c.env, tenant, DEMO.clientId))) {
      const metadata = parseClientMetadata(
        {
          client_name: 'Demo Bank',
          token_endpoint_auth_method: 'client_secret_basic',
          backchannel_token_delivery_mode: 'poll',
          grant_types: [CIBA_GRANT_TYPE, 'refresh_token'],
        },
        true,
      );
      await registerClient(c.env, tenant, metadata, now, { clientId: DEMO.clientId, secret: DEMO.clientSecret });
      created.push(`client ${DEMO.clientId}`);
    }
    if (!(await getClient(c.env, tenant, DEMO.longPollClientId))) {
      const metadata = parseClientMetadata(
        { client_name: 'Demo Bank (live)', token_endpoint_auth_method: 'client_secret_basic', backchannel_long_poll_wait: 25 },
        true,
      );
      await registerClient(c.env, tenant, metadata, now, { clientId: DEMO.longPollClientId, secret: DEMO.clientSecret });
      created.push(`client ${DEMO.longPollClientId}`);
    }
    if (!(await getUser(c.env, tenant, DEMO.sub))) {
      await putUser(
        c.env,
        tenant,
        DEMO.sub,
        {
          login_hints: [DEMO.loginHint, '+372 5555 0001'],
          claims: { name: 'Alice Example', email: DEMO.loginHint, email_verified: true },
        },
        now,
      );
      created.push(`user ${DEMO.sub}`);
    }
    try {
      await checkSigningKey(c.env, tenant);
    } catch (cause) {
      throw notConfigured(
        cause instanceof Error ? cause : String(cause),
        'The demo signing key does not decrypt with this KEY_ENCRYPTION_SECRET: delete .wrangler/state, or restore the .dev.vars that made it',
      );
    }
    return c.json({ created });
  },
});
