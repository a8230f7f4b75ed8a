// Outbound URLs at registration (issue 18, item 10; contract §6, §7): a webhook url, a trusted hint
// issuer's jwks_uri, and a client's notification endpoint and jwks_uri are refused at a private,
// loopback or link-local address, however it is spelled, saying why; loopback stays open in development.
import { describe, expect, it } from 'vitest';
import { admin, createTenant, uniqueTenantId } from '../../helpers/api.ts';
import { adminInDevelopment } from '../../helpers/receiver.ts';
import { expectOAuthError } from '../../helpers/oauth.ts';

const SECRET = `whsec_${btoa('0123456789abcdef01234567')}`;

/** Each place an outbound URL is registered: the admin call that registers `url` there. */
const SITES: { field: string; error: string; path: (tenant: string) => string; method: string; body: (url: string) => unknown }[] = [
  {
    field: 'authenticator.url',
    error: 'invalid_request',
    path: (t) => `/tenants/${t}`,
    method: 'PUT',
    body: (url) => ({ authenticator: { type: 'webhook', url, secret: SECRET } }),
  },
  {
    field: 'trusted_hint_issuers.0.jwks_uri',
    error: 'invalid_request',
    path: (t) => `/tenants/${t}`,
    method: 'PUT',
    body: (url) => ({ trusted_hint_issuers: [{ issuer: 'https://idp.example.com', jwks_uri: url }] }),
  },
  {
    field: 'backchannel_client_notification_endpoint',
    error: 'invalid_client_metadata',
    path: (t) => `/tenants/${t}/clients`,
    method: 'POST',
    body: (url) => ({ backchannel_token_delivery_mode: 'ping', backchannel_client_notification_endpoint: url }),
  },
  {
    field: 'jwks_uri',
    error: 'invalid_client_metadata',
    path: (t) => `/tenants/${t}/clients`,
    method: 'POST',
    body: (url) => ({ token_endpoint_auth_method: 'private_key_jwt', jwks_uri: url }),
  },
];

const INSIDE: [string, string][] = [
  ['https://10.1.2.3/x', '10.0.0.0/8 is private'],
  ['https://169.254.169.254/x', '169.254.0.0/16 is link-local'],
  ['https://100.64.0.7/x', '100.64.0.0/10 is shared address space for carrier-grade NAT'],
  ['https://0.0.0.0/x', '0.0.0.0 is unspecified'],
  ['https://2130706433/x', '127.0.0.0/8 is loopback'],
  ['https://0x7f.1/x', '127.0.0.0/8 is loopback'],
  ['https://[::1]/x', '::1/128 is loopback'],
  ['https://[fd00::5]/x', 'fc00::/7 is unique local'],
  ['https://[fe80::1]/x', 'fe80::/10 is link-local'],
  ['https://[::ffff:192.168.0.1]/x', '192.168.0.0/16 as IPv4-mapped IPv6 is private'],
];

/** A tenant for client sites (created first); a fresh id for tenant sites (nothing must be created). */
const targetFor = async (site: (typeof SITES)[number]) => (site.path('x').endsWith('/clients') ? createTenant() : uniqueTenantId());

describe.each(SITES)('$field', (site) => {
  it.each(INSIDE)('refuses %s, saying why (%s)', async (url, why) => {
    const target = await targetFor(site);
    const res = await admin(site.path(target), site.method, site.body(url));
    const error = await expectOAuthError(res, 400, site.error);
    expect(error.error_description).toBe(`${site.field}: must not point at a private, loopback or link-local address (${why})`);
    if (site.method === 'PUT') await expectOAuthError(await admin(`/tenants/${target}`), 404, 'invalid_request');
  });

  it('takes https on a public host, and in development https and http on loopback, but not a private address', async () => {
    expect((await admin(site.path(await targetFor(site)), site.method, site.body('https://hooks.example.com/x'))).status).toBe(201);
    for (const url of ['https://127.0.0.1:9443/x', 'http://127.0.0.1:9000/x', 'http://[::1]:9000/x']) {
      const res = await adminInDevelopment(site.path(await targetFor(site)), site.method, site.body(url));
      expect(res.status, `${url}: ${await res.clone().text()}`).toBe(201);
    }
    const res = await adminInDevelopment(site.path(await targetFor(site)), site.method, site.body('https://192.168.1.1/x'));
    const error = await expectOAuthError(res, 400, site.error);
    expect(error.error_description).toBe(`${site.field}: must not point at a private, loopback or link-local address (192.168.0.0/16 is private)`);
  });
});
