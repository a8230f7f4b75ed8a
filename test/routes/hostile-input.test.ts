// Hostile input (issue 13), property-based with fast-check, seeded and bounded so CI stays quick:
// random and malformed bodies on every endpoint, wrong content types, duplicate parameters, very
// long values, invalid UTF-8, forged JWTs and deeply nested JSON. Every answer is a JSON OAuth error
// with a 4xx status: never a 5xx, never HTML; and none of it opens a request.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { basic, call, devicePage, setup } from '../helpers/api.ts';
import { ERROR_DESCRIPTION_CHARS } from '../helpers/oauth.ts';

const SEED = 20261201;
const RUNS = 150;

const PARAMS = [
  'grant_type', 'auth_req_id', 'scope', 'login_hint', 'id_token_hint', 'login_hint_token', 'binding_message',
  'user_code', 'requested_expiry', 'acr_values', 'client_notification_token', 'request', 'resource',
  'authorization_details', 'refresh_token', 'token', 'token_type_hint', 'client_id', 'client_assertion',
  'client_assertion_type',
];

/** A JWT-looking string: random or broken header (alg none, unknown kid), payload and signature. */
const jwtish = fc
  .tuple(
    fc.constantFrom('{"alg":"none"}', '{"alg":"ES256","kid":"nope"}', '{"alg":"HS256"}', '{', '{"alg":"RS256","typ":"at+jwt"}'),
    fc.json(),
    fc.string(),
  )
  .map(([h, p, s]) => `${btoa(h).replace(/=+$/, '')}.${btoa(unescape(encodeURIComponent(p))).replace(/=+$/, '')}.${s}`);

/** Values: unicode, control characters, very long, nested JSON, JWT-looking. */
const value = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ minLength: 2000, maxLength: 5000 }),
  fc.json({ depthSize: 'large' }),
  fc.nat(200).map((n) => '['.repeat(n * 50) + ']'.repeat(n * 50)),
  jwtish,
);

const form = fc.array(fc.tuple(fc.constantFrom(...PARAMS), value), { maxLength: 8 });
const contentType = fc.constantFrom(
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=utf-8',
  'application/json',
  'text/plain',
  'multipart/form-data; boundary=x',
  '',
);

/** Bytes that are not UTF-8, sometimes: a lone continuation byte or a truncated sequence. */
const body = fc.tuple(form, fc.constantFrom('', '%C3', '%80', '%FF%FE', '&&&', '=%')).map(([pairs, tail]) => {
  const text = new URLSearchParams(pairs).toString();
  return tail ? `${text}&x=${tail}` : text;
});

async function expectClean4xx(res: Response, what: string) {
  const text = await res.text();
  expect(res.status, `${what}: ${text.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
  expect(res.status, `${what}: ${text.slice(0, 200)}`).toBeLessThan(500);
  expect(res.headers.get('Content-Type') ?? '', what).toMatch(/^application\/json/);
  const parsed = JSON.parse(text) as Record<string, unknown>;
  expect(typeof parsed.error, what).toBe('string');
  expect(parsed.error_description, what).toMatch(ERROR_DESCRIPTION_CHARS);
}

describe('hostile input', () => {
  it('every endpoint answers random and malformed bodies with a JSON 4xx, and opens nothing', async () => {
    const { tenant, client } = await setup();
    const endpoints = ['/as/cibaAuthorization', '/as/token', '/as/introspect', '/as/revoke', '/as/ciba/cancel', '/as/ciba/callback', '/as/userinfo'];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...endpoints), body, contentType, fc.boolean(), async (endpoint, text, type, authenticated) => {
        const headers: Record<string, string> = type ? { 'Content-Type': type } : {};
        if (authenticated) headers.Authorization = endpoint === '/as/ciba/callback' || endpoint === '/as/userinfo' ? `Bearer ${text.slice(0, 40)}` : basic(client);
        const res = await call(`/${tenant}${endpoint}`, { method: 'POST', headers, body: text });
        // A revocation or cancellation of nothing is 200 by design (RFC 7009, contract §8); all else is a 4xx.
        if (res.status === 200 && (endpoint === '/as/revoke' || endpoint === '/as/ciba/cancel')) return;
        await expectClean4xx(res, `${endpoint} ${type} ${text.slice(0, 100)}`);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(await devicePage(tenant)).toContain('No pending requests');
  });

  it('the admin API answers random JSON with a JSON 4xx and creates nothing broken', async () => {
    const { tenant } = await setup();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(`/tenants/${tenant}/clients`, `/tenants/${tenant}/users/u1`, `/tenants/${tenant}-x`),
        fc.oneof(fc.json({ depthSize: 'large' }), fc.nat(300).map((n) => '{"a":'.repeat(n * 40) + '1' + '}'.repeat(n * 40)), fc.string()),
        async (path, json) => {
          const method = path.endsWith('/clients') ? 'POST' : 'PUT';
          const res = await call(`/admin${path}`, {
            method,
            headers: { Authorization: 'Bearer test-admin-token', 'Content-Type': 'application/json' },
            body: json,
          });
          // An empty object is a valid tenant or client (every member has a default); the rest must be refused cleanly.
          if (res.status === 200 || res.status === 201) return;
          await expectClean4xx(res, `${method} ${path} ${json.slice(0, 100)}`);
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
