// GET /{tenant}/as/jwks — the tenant's public signing keys (RFC 7517).
import { Hono } from '../http/hono.ts';
import type { AppEnv } from '../http/app-env.ts';
import { JWKS_MAX_AGE_S, publicJwks } from '../keys/store.ts';
import { route } from '../http/route.ts';

export const jwks = new Hono<AppEnv>();

route(jwks, '/', {
  GET: async (c) =>
    c.json(await publicJwks(c.env, c.get('tenant'), Date.now()), 200, {
      'Content-Type': 'application/jwk-set+json',
      'Cache-Control': `public, max-age=${JWKS_MAX_AGE_S}`,
    }),
});
