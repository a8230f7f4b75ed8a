// POST /{tenant}/as/ciba/callback — the authenticator's decision (contract §5).
import { Hono } from '../http/hono.ts';
import type { AppEnv } from '../env.ts';
import { invalidToken } from '../errors.ts';
import { applyDecision, parseDecision } from '../ciba/callback.ts';
import { decisionRefusal } from '../http/decision.ts';
import { mediaTypeOf, readBody } from '../http/form.ts';
import { route } from '../http/route.ts';

export const cibaCallback = new Hono<AppEnv>();

route(cibaCallback, '/', {
  POST: async (c) => {
    const text = await readBody(c);
    const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(c.req.header('Authorization') ?? '');
    if (!match) throw invalidToken('A bearer callback token is required');
    let body: unknown;
    const isJson = mediaTypeOf(c) === 'application/json';
    try {
      body = isJson ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    const input =
      body === undefined ? { ok: false as const, description: 'The body must be a JSON object' } : parseDecision(body);
    const refusal = decisionRefusal(await applyDecision(c.env, c.get('tenant'), match[1]!, input));
    if (refusal) throw refusal;
    return c.body(null, 204, { 'Cache-Control': 'no-store' });
  },
});
