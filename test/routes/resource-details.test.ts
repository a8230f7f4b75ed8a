// The request parameters that shape what is granted (contract §3, §4, §5): RFC 8707 `resource` (the
// access token's audience), RFC 9396 `authorization_details` (checked, shown to the user, carried by
// the tokens) and `acr_values` / the acr the authenticator reports.
import { env } from 'cloudflare:workers';
import { listDurableObjectIds } from 'cloudflare:test';
import { decodeJwt } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  CIBA,
  approve,
  backchannel,
  basic,
  call,
  callback,
  createClient,
  createTenant,
  createUser,
  devicePage,
  issuerOf,
  poll,
  postForm,
  requestIdOf,
  type TestClient,
} from '../helpers/api.ts';
import { expectOAuthError } from '../helpers/oauth.ts';
import { newBox, received, script, webhookTenant } from '../helpers/receiver.ts';

const RESOURCES = ['https://api.example.com/', 'https://pay.example.com/'];
const TYPES = ['payment_initiation', 'account_information'];
const DETAIL = {
  type: 'payment_initiation',
  instructedAmount: { currency: 'EUR', amount: '123.50' },
  creditorName: 'Merchant A',
  actions: ['initiate'],
  locations: ['https://pay.example.com/'],
};
const DETAILS = [DETAIL];
const SETTINGS = { resources: RESOURCES, authorization_details_types_supported: TYPES };

interface Tokens {
  access_token: string;
  id_token: string;
  refresh_token?: string;
  authorization_details?: unknown;
}

/** A built-in tenant with resources and detail types, alice, a refreshing client allowed payment_initiation. */
async function detailsSetup() {
  const tenant = await createTenant(SETTINGS);
  await createUser(tenant);
  const client = await createClient(tenant, {
    grant_types: [CIBA, 'refresh_token'],
    authorization_details_types: ['payment_initiation'],
  });
  return { tenant, client };
}

// A fresh tenant for every test, so no test's requests count against another's per-user limits.
let tenant: string;
let client: TestClient;
beforeEach(async () => {
  ({ tenant, client } = await detailsSetup());
});

/** The backchannel request for alice with openid, plus `extra` (repeatable, for `resource`). */
const ask = (extra: [string, string][], c = client, t = tenant) =>
  backchannel(t, c, new URLSearchParams([['scope', 'openid'], ['login_hint', 'alice@example.com'], ...extra]));

/** Asks, approves through the built-in authenticator and polls: the token response and its raw text. */
async function grantedTokens(extra: [string, string][], decision: Record<string, unknown> = {}) {
  const res = await ask(extra);
  expect(res.status, await res.clone().text()).toBe(200);
  const { auth_req_id } = (await res.json()) as { auth_req_id: string };
  await approve(tenant, auth_req_id, decision);
  const tokenRes = await poll(tenant, client, auth_req_id);
  const text = await tokenRes.text();
  expect(tokenRes.status, text).toBe(200);
  return { tokens: JSON.parse(text) as Tokens, text };
}

const refresh = async (refreshToken: string) => {
  const res = await postForm(`/${tenant}/as/token`, { grant_type: 'refresh_token', refresh_token: refreshToken }, { Authorization: basic(client) });
  expect(res.status).toBe(200);
  return (await res.json()) as Tokens;
};

const introspection = async (token: string) => {
  const res = await postForm(`/${tenant}/as/introspect`, { token }, { Authorization: basic(client) });
  expect(res.status).toBe(200);
  const body = (await res.json()) as Record<string, unknown>;
  expect(body.active).toBe(true);
  return body;
};

const details = (value: unknown): [string, string] => ['authorization_details', JSON.stringify(value)];

describe('resource (RFC 8707) sets the access token’s audience', () => {
  it('one listed resource: aud is that string, at the token endpoint and at introspection', async () => {
    const { tokens } = await grantedTokens([['resource', RESOURCES[1]!]]);
    expect(decodeJwt(tokens.access_token).aud).toBe(RESOURCES[1]);
    expect((await introspection(tokens.access_token)).aud).toBe(RESOURCES[1]);
    // The ID token stays the client's.
    expect(decodeJwt(tokens.id_token).aud).toBe(client.client_id);
  });

  it('two listed resources: aud is the array of both', async () => {
    const { tokens } = await grantedTokens(RESOURCES.map((r) => ['resource', r]));
    expect(decodeJwt(tokens.access_token).aud).toEqual(RESOURCES);
    expect((await introspection(tokens.access_token)).aud).toEqual(RESOURCES);
  });

  it('no resource: aud is the issuer', async () => {
    const { tokens } = await grantedTokens([]);
    expect(decodeJwt(tokens.access_token).aud).toBe(issuerOf(tenant));
    expect((await introspection(tokens.access_token)).aud).toBe(issuerOf(tenant));
  });

  it('a refresh keeps the audience, and the refresh token introspects with it', async () => {
    const { tokens } = await grantedTokens(RESOURCES.map((r) => ['resource', r]));
    const refreshed = await refresh(tokens.refresh_token!);
    expect(decodeJwt(refreshed.access_token).aud).toEqual(RESOURCES);
    expect((await introspection(refreshed.access_token)).aud).toEqual(RESOURCES);
    expect((await introspection(refreshed.refresh_token!)).aud).toEqual(RESOURCES);

    const single = await grantedTokens([['resource', RESOURCES[0]!]]);
    expect(decodeJwt((await refresh(single.tokens.refresh_token!)).access_token).aud).toBe(RESOURCES[0]);
  });

  it.each([
    ['a resource the tenant does not list', ['https://evil.example.com/'], /not offered/],
    ['a listed resource beside an unlisted one', [RESOURCES[0]!, 'https://evil.example.com/'], /not offered/],
    ['the listed host with another path', ['https://api.example.com/other'], /not offered/],
    ['a relative URI', ['/api'], /absolute URI/],
    ['a URI without a scheme', ['api.example.com/'], /absolute URI/],
    ['a URI with a fragment', ['https://api.example.com/#section'], /fragment/],
    ['a URI with an empty fragment', ['https://api.example.com/#'], /fragment/],
  ])('%s is 400 invalid_target', async (_name, resources, description) => {
    const error = await expectOAuthError(await ask(resources.map((r) => ['resource', r])), 400, 'invalid_target');
    expect(error.error_description).toMatch(description);
  });
});

describe('authorization_details (RFC 9396) travel with the grant', () => {
  it('a valid detail is accepted and comes back in the token response, the access token, introspection and a refresh', async () => {
    const { tokens, text } = await grantedTokens([details(DETAILS)]);
    // Exactly what was sent, member order included.
    expect(text).toContain(`"authorization_details":${JSON.stringify(DETAILS)}`);
    expect(tokens.authorization_details).toEqual(DETAILS);
    expect(decodeJwt(tokens.access_token).authorization_details).toEqual(DETAILS);
    expect((await introspection(tokens.access_token)).authorization_details).toEqual(DETAILS);
    expect((await introspection(tokens.refresh_token!)).authorization_details).toEqual(DETAILS);

    const refreshed = await refresh(tokens.refresh_token!);
    expect(refreshed.authorization_details).toEqual(DETAILS);
    expect(decodeJwt(refreshed.access_token).authorization_details).toEqual(DETAILS);
    expect((await introspection(refreshed.access_token)).authorization_details).toEqual(DETAILS);
  });

  it('without authorization_details, neither the token response nor the access token has any', async () => {
    const { tokens } = await grantedTokens([]);
    expect(tokens).not.toHaveProperty('authorization_details');
    expect(decodeJwt(tokens.access_token)).not.toHaveProperty('authorization_details');
    expect(await introspection(tokens.access_token)).not.toHaveProperty('authorization_details');
  });

  it('several details, and members nested to exactly 8 levels, are accepted', async () => {
    // array(1) > detail(2) > six nested objects (3..8).
    let deep: unknown = 'leaf';
    for (let i = 0; i < 6; i++) deep = { level: deep };
    const value = [DETAIL, { type: 'payment_initiation', identifier: 'order-7', deep }];
    const { tokens } = await grantedTokens([details(value)]);
    expect(tokens.authorization_details).toEqual(value);
  });

  it('exactly 8192 bytes is accepted, one byte more is not, counting UTF-8 bytes', async () => {
    const byteLength = (text: string) => new TextEncoder().encode(text).length;
    /** DETAIL with a `note` that makes the JSON exactly `bytes` long, filled with `ch` (topped up with 'x'). */
    const sized = (bytes: number, ch = 'x') => {
      const room = bytes - byteLength(JSON.stringify([{ ...DETAIL, note: '' }]));
      const value = [{ ...DETAIL, note: ch.repeat(Math.floor(room / byteLength(ch))) + 'x'.repeat(room % byteLength(ch)) }];
      expect(byteLength(JSON.stringify(value))).toBe(bytes);
      return value;
    };
    const { tokens } = await grantedTokens([details(sized(8192))]);
    expect(tokens.authorization_details).toEqual(sized(8192));
    const over = await expectOAuthError(await ask([details(sized(8193))]), 400, 'invalid_authorization_details');
    expect(over.error_description).toMatch(/8192 bytes/);
    // 'é' is two bytes: well under 8192 characters, over 8192 bytes.
    const wide = sized(8194, 'é');
    expect(JSON.stringify(wide).length).toBeLessThan(8192);
    const bytes = await expectOAuthError(await ask([details(wide)]), 400, 'invalid_authorization_details');
    expect(bytes.error_description).toMatch(/8192 bytes/);
  });

  let nine: unknown = 'leaf';
  for (let i = 0; i < 7; i++) nine = { level: nine };
  const refusals: [string, string, RegExp, 'bare'?][] = [
    ['text that is not JSON', '{"type": "payment_initiation"', /not JSON/],
    ['a JSON object instead of an array', JSON.stringify(DETAIL), /non-empty JSON array/],
    ['a JSON string', JSON.stringify('payment_initiation'), /non-empty JSON array/],
    ['an empty array', '[]', /non-empty JSON array/],
    ['an element that is a string', '["payment_initiation"]', /\[0\] must be an object/],
    ['an element that is null', '[null]', /\[0\] must be an object/],
    ['an element that is an array', JSON.stringify([[DETAIL]]), /\[0\] must be an object/],
    ['a bad second element', JSON.stringify([DETAIL, 42]), /\[1\] must be an object/],
    ['an element without a type', JSON.stringify([{ creditorName: 'Merchant A' }]), /\[0\] must have a type/],
    ['a type that is not a string', JSON.stringify([{ type: 42 }]), /\[0\] must have a type/],
    ['an empty type', JSON.stringify([{ type: '' }]), /\[0\] must have a type/],
    ['a type the tenant does not support', JSON.stringify([{ type: 'open_banking' }]), /type open_banking is not supported/],
    ['a type the tenant supports but the client did not register', JSON.stringify([{ type: 'account_information' }]), /may not request the type account_information/],
    ['any type, from a client that registered no types', JSON.stringify(DETAILS), /may not request the type payment_initiation/, 'bare'],
    ['actions that is a string', JSON.stringify([{ ...DETAIL, actions: 'initiate' }]), /\.actions must be an array of strings/],
    ['actions holding a number', JSON.stringify([{ ...DETAIL, actions: ['initiate', 1] }]), /\.actions must be an array of strings/],
    ['locations that is an object', JSON.stringify([{ ...DETAIL, locations: { url: 'https://pay.example.com/' } }]), /\.locations must be an array of strings/],
    ['datatypes holding null', JSON.stringify([{ ...DETAIL, datatypes: [null] }]), /\.datatypes must be an array of strings/],
    ['privileges that is a string', JSON.stringify([{ ...DETAIL, privileges: 'admin' }]), /\.privileges must be an array of strings/],
    ['an identifier that is not a string', JSON.stringify([{ ...DETAIL, identifier: 42 }]), /\.identifier must be a string/],
    ['more than 8192 bytes', JSON.stringify([{ ...DETAIL, note: 'x'.repeat(8200) }]), /at most 8192 bytes/],
    ['members nested 9 levels deep', JSON.stringify([{ ...DETAIL, deep: nine }]), /nest at most 8 levels/],
    ['arrays nested 9 levels deep', JSON.stringify([{ ...DETAIL, deep: [[[[[[[1]]]]]]] }]), /nest at most 8 levels/],
  ];

  it.each(refusals)('%s is 400 invalid_authorization_details', async (_name, value, description, who) => {
    const c = who === 'bare' ? await createClient(tenant) : client;
    const error = await expectOAuthError(await ask([['authorization_details', value]], c), 400, 'invalid_authorization_details');
    expect(error.error_description).toMatch(description);
  });
});

describe('hostile nesting is refused cleanly, never a 5xx', () => {
  /** Sends the form body as is: brackets unencoded, so the most nesting fits under the 64 KiB limit. */
  const raw = (json: string) =>
    call(`/${tenant}/as/cibaAuthorization`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: basic(client) },
      body: `scope=openid&login_hint=alice%40example.com&authorization_details=${json}`,
    });

  it('32,000 nested arrays, just under the body limit, are 400 invalid_authorization_details', async () => {
    const json = '['.repeat(32_000) + ']'.repeat(32_000);
    const error = await expectOAuthError(await raw(json), 400, 'invalid_authorization_details');
    expect(error.error_description).toMatch(/nest at most 8 levels/);
  });

  it('10,000 nested objects inside the array are 400 invalid_authorization_details', async () => {
    const json = `[${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}]`;
    const error = await expectOAuthError(await raw(json), 400, 'invalid_authorization_details');
    expect(error.error_description).toMatch(/nest at most 8 levels/);
  });

  it('50,000 nested arrays exceed the 64 KiB body limit: 413 invalid_request, before anything is parsed', async () => {
    const json = '['.repeat(50_000) + ']'.repeat(50_000);
    const error = await expectOAuthError(await raw(json), 413, 'invalid_request');
    expect(error.error_description).toMatch(/exceeds 65536 bytes/);
  });
});

describe('a refused request leaves nothing behind', () => {
  it('no request object, nothing on the device page, nothing sent to a webhook', async () => {
    const t = await detailsSetup();
    const box = newBox();
    await script(box, [{ status: 200, body: { sub: 'bank-user-1' } }]);
    const hooked = await webhookTenant(box, SETTINGS);
    const hookedClient = await createClient(hooked, { authorization_details_types: ['payment_initiation'] });

    const before = (await listDurableObjectIds(env.AUTH_REQUESTS)).length;
    const bad: [string, string][][] = [
      [['resource', 'https://evil.example.com/']],
      [['resource', '/relative']],
      [details([{ type: 'account_information' }])],
      [details({ type: 'payment_initiation' })],
      [['authorization_details', '['.repeat(5000) + ']'.repeat(5000)]],
    ];
    for (const extra of bad) {
      expect((await ask(extra, t.client, t.tenant)).status).toBe(400);
      expect((await ask(extra, hookedClient, hooked)).status).toBe(400);
    }
    expect((await listDurableObjectIds(env.AUTH_REQUESTS)).length).toBe(before);
    expect(await received(box)).toHaveLength(0);
    const page = await devicePage(t.tenant);
    expect(page).toContain('No pending requests');

    // The same tenant, a good request: one object, one card.
    expect((await ask([details(DETAILS)], t.client, t.tenant)).status).toBe(200);
    expect((await listDurableObjectIds(env.AUTH_REQUESTS)).length).toBe(before + 1);
    expect(await devicePage(t.tenant)).not.toContain('No pending requests');
  });
});

describe('the user sees what they approve', () => {
  it('the device page shows each detail’s type and members, HTML-escaped', async () => {
    const t = await detailsSetup();
    const shown = [
      {
        ...DETAIL,
        remittanceInformation: '<script>alert("x")</script> & more',
        '<img src=x onerror=alert(1)>': 'member name',
      },
    ];
    const res = await ask([details(shown), ['acr_values', 'urn:example:loa:high']], t.client, t.tenant);
    expect(res.status).toBe(200);
    const { auth_req_id } = (await res.json()) as { auth_req_id: string };
    const html = await devicePage(t.tenant);
    const card = html.slice(html.indexOf(`data-request-id="${requestIdOf(auth_req_id)}"`));
    expect(card).toContain('<h3>payment_initiation</h3>');
    expect(card).toContain('<dt>creditorName</dt><dd>Merchant A</dd>');
    expect(card).toContain('<dt>actions</dt><dd>initiate</dd>');
    expect(card).toMatch(/<dt>instructedAmount<\/dt><dd>[^<]*EUR[^<]*123\.50[^<]*<\/dd>/);
    expect(card).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more');
    expect(card).toContain('<dt>&lt;img src=x onerror=alert(1)&gt;</dt>');
    // The page's one script is its own, external one (device-session.test.ts): nothing from the details.
    expect(card).not.toContain('<script');
    expect(html.match(/<script[^>]*>/g)).toEqual([expect.stringMatching(new RegExp(`^<script nonce="[^"]+" src="/${t.tenant}/device/app\\.js" defer>$`))]);
    expect(html).not.toContain('<img');
    expect(card).toContain('urn:example:loa:high');
  });

  it('a webhook tenant’s payload carries authorization_details and acr_values exactly as sent', async () => {
    const box = newBox();
    await script(box, [{ status: 200, body: { sub: 'bank-user-1' } }]);
    const hooked = await webhookTenant(box, SETTINGS);
    const hookedClient = await createClient(hooked, { authorization_details_types: ['payment_initiation'] });
    const sent = [...DETAILS, { type: 'payment_initiation', identifier: 'ü-€', nested: { a: [1, { b: null }] } }];
    const res = await ask([details(sent), ['acr_values', 'urn:example:loa:high urn:example:loa:substantial']], hookedClient, hooked);
    expect(res.status).toBe(200);
    const [request, ...more] = await received(box);
    expect(more).toHaveLength(0);
    const data = (JSON.parse(request!.body) as { data: Record<string, unknown> }).data;
    expect(data.authorization_details).toEqual(sent);
    expect(request!.body).toContain(`"authorization_details":${JSON.stringify(sent)}`);
    expect(data.acr_values).toEqual(['urn:example:loa:high', 'urn:example:loa:substantial']);
  });

  it('without them, the payload has no authorization_details or acr_values member', async () => {
    const box = newBox();
    await script(box, [{ status: 200, body: { sub: 'bank-user-1' } }]);
    const hooked = await webhookTenant(box, SETTINGS);
    const hookedClient = await createClient(hooked, { authorization_details_types: ['payment_initiation'] });
    expect((await ask([], hookedClient, hooked)).status).toBe(200);
    const data = (JSON.parse((await received(box))[0]!.body) as { data: Record<string, unknown> }).data;
    expect(data).not.toHaveProperty('authorization_details');
    expect(data).not.toHaveProperty('acr_values');
  });
});

describe('acr: asked for by the RP, reported by the authenticator', () => {
  it('acr_values reach the webhook, and the acr its callback reports is the acr of the ID token and the access token', async () => {
    const box = newBox();
    await script(box, [{ status: 200, body: { sub: 'bank-user-2' } }]);
    const hooked = await webhookTenant(box);
    const hookedClient = await createClient(hooked);
    const res = await ask([['acr_values', 'urn:example:loa:substantial urn:example:loa:high']], hookedClient, hooked);
    expect(res.status).toBe(200);
    const { auth_req_id } = (await res.json()) as { auth_req_id: string };
    const { data } = JSON.parse((await received(box))[0]!.body) as { data: { acr_values: string[]; callback_token: string } };
    expect(data.acr_values).toEqual(['urn:example:loa:substantial', 'urn:example:loa:high']);
    const decided = await callback(hooked, data.callback_token, { status: 'approved', authentication_method: 'smart-id', acr: 'urn:example:loa:high' });
    expect(decided.status).toBe(204);
    const tokenRes = await poll(hooked, hookedClient, auth_req_id);
    expect(tokenRes.status).toBe(200);
    const tokens = (await tokenRes.json()) as Tokens;
    expect(decodeJwt(tokens.id_token).acr).toBe('urn:example:loa:high');
    expect(decodeJwt(tokens.access_token).acr).toBe('urn:example:loa:high');
  });

  it('the built-in authenticator’s reported acr is the tokens’ acr', async () => {
    const { tokens } = await grantedTokens([['acr_values', 'urn:example:loa:high']], { acr: 'urn:example:loa:high' });
    expect(decodeJwt(tokens.id_token).acr).toBe('urn:example:loa:high');
    expect(decodeJwt(tokens.access_token).acr).toBe('urn:example:loa:high');
  });

  it('the acr asked for is never claimed when the authenticator reports none', async () => {
    const { tokens } = await grantedTokens([['acr_values', 'urn:example:loa:high']]);
    expect(decodeJwt(tokens.id_token)).not.toHaveProperty('acr');
    expect(decodeJwt(tokens.access_token)).not.toHaveProperty('acr');
  });

  it('the acr reported wins over the acr asked for', async () => {
    const { tokens } = await grantedTokens([['acr_values', 'urn:example:loa:high']], { acr: 'urn:example:loa:substantial' });
    expect(decodeJwt(tokens.id_token).acr).toBe('urn:example:loa:substantial');
    expect(decodeJwt(tokens.access_token).acr).toBe('urn:example:loa:substantial');
  });
});
