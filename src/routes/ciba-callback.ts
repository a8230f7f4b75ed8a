// POST /{tenant}/as/ciba/callback — the authenticator's decision (docs/protocol.md §5).
import { Hono } from '../http/hono.ts';
import type { AppEnv } from '../http/app-env.ts';
import { invalidToken } from '../errors.ts';
import { applyDecision, parseDecision } from '../ciba/callback.ts';
import { decisionRefusal } from '../http/decision.ts';
import { mediaTypeOf, readBody } from '../http/form.ts';
import { route } from '../http/route.ts';
import { parseJson } from '../lib/json.ts';
import { BEARER_AUTHORIZATION } from '../vocabulary.ts';

export const cibaCallback = new Hono<AppEnv>();

route(cibaCallback, '/', {
  POST: async (c) => {
    const text = await readBody(c);
    const match = BEARER_AUTHORIZATION.exec(c.req.header('Authorization') ?? '');
    if (!match) throw invalidToken('A bearer callback token is required');
    // A bad body is refused by the request's Durable Object, once the token is known (docs/protocol.md §5: 401 first).
    const parsed = mediaTypeOf(c) === 'application/json' ? parseJson(text) : undefined;
    const input = parsed?.ok
      ? parseDecision(parsed.value)
      : { ok: false as const, description: parsed?.tooDeep ? `The body ${parsed.problem}` : 'The body must be a JSON object' };
    const refusal = decisionRefusal(await applyDecision(c.env, c.get('tenant'), match[1]!, input));
    if (refusal) throw refusal;
    return c.body(null, 204, { 'Cache-Control': 'no-store' });
  },
});
