// End-to-end: what goes beyond CIBA (contract §8) against a real `wrangler dev`, openid-client as the
// RP: a long poll held until the user approves, cancellation, the push-bombing limit, and the
// binding message in the tokens.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWrangler, type Server } from './server.ts';
import { adminCall, decideOnDevice, rpPost, type Client } from './http.ts';

const TENANT = `e2e-beyond-${Date.now().toString(36)}`;
const HINT = 'erin@example.com';

describe('beyond CIBA, openid-client as the RP', () => {
  let server: Server;
  let issuer: string;

  const register = async (metadata: Record<string, unknown>): Promise<Client> => {
    const body = await adminCall(server.origin, 'POST', `/tenants/${TENANT}/clients`, { client_name: 'E2E Beyond', ...metadata }, 201);
    return { client_id: body.client_id as string, client_secret: body.client_secret as string };
  };
  const configure = (client: Client) =>
    oidc.discovery(new URL(issuer), client.client_id, {}, oidc.ClientSecretBasic(client.client_secret), {
      execute: [oidc.allowInsecureRequests],
    });
  const approveOnDevice = (bindingMessage: string) =>
    decideOnDevice(server.origin, TENANT, {
      loginHint: HINT,
      bindingMessage,
      clientName: 'E2E Beyond',
      decision: 'approved',
      authenticationMethod: 'app-biometrics',
    });

  beforeAll(async () => {
    server = await startWrangler();
    issuer = `${server.origin}/${TENANT}/as`;
    await adminCall(server.origin, 'PUT', `/tenants/${TENANT}`, { poll_interval: 1, device_page: true }, 201);
    await adminCall(server.origin, 'PUT', `/tenants/${TENANT}/users/erin`, { login_hints: [HINT], claims: {} }, 201);
  });

  afterAll(async () => {
    await server?.stop();
  });

  test('long polling: the held poll returns the tokens, with the binding message, as soon as the user approves', async () => {
    const config = await configure(await register({ backchannel_long_poll_wait: 25 }));
    expect(config.serverMetadata().backchannel_long_poll_supported).toBe(true);
    const started = await oidc.initiateBackchannelAuthentication(config, {
      scope: 'openid',
      login_hint: HINT,
      binding_message: 'Long poll 1',
    });
    let tokensAt = 0;
    const tokens = oidc.pollBackchannelAuthenticationGrant(config, started).then((t) => {
      tokensAt = Date.now();
      return t;
    });
    // openid-client waits the interval (1 s) before its first poll, which the server then holds.
    await new Promise((r) => setTimeout(r, 2500));
    expect(tokensAt).toBe(0);
    await approveOnDevice('Long poll 1');
    const approvedAt = Date.now();
    const result = await tokens;
    expect(result.claims()).toMatchObject({ sub: 'erin', binding_message: 'Long poll 1' });
    expect(tokensAt - approvedAt).toBeLessThan(1000);
  });

  test('cancellation: the RP cancels, its polls answer invalid_grant, and the user no longer sees the request', async () => {
    const client = await register({});
    const config = await configure(client);
    expect(config.serverMetadata().backchannel_authentication_cancel_endpoint).toBe(`${issuer}/ciba/cancel`);
    const started = await oidc.initiateBackchannelAuthentication(config, { scope: 'openid', login_hint: HINT, binding_message: 'Cancel 1' });
    const cancelled = await rpPost(issuer, '/ciba/cancel', client, { auth_req_id: started.auth_req_id }, 200);
    expect(cancelled.body).toEqual({});
    await expect(oidc.pollBackchannelAuthenticationGrant(config, started)).rejects.toMatchObject({ error: 'invalid_grant' });
    const page = await (await fetch(`${server.origin}/${TENANT}/device?login_hint=${encodeURIComponent(HINT)}`)).text();
    expect(page).not.toContain('Cancel 1');
  });

  test('push-bombing limit: the fourth pending request for one user is refused with 403 and Retry-After', async () => {
    const client = await register({});
    const config = await configure(client);
    for (let i = 0; i < 3; i++) {
      await oidc.initiateBackchannelAuthentication(config, { scope: 'openid', login_hint: HINT, binding_message: `Bomb ${i}` });
    }
    const refused = await rpPost(issuer, '/cibaAuthorization', client, { scope: 'openid', login_hint: HINT });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('access_denied');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    await expect(
      oidc.initiateBackchannelAuthentication(config, { scope: 'openid', login_hint: HINT }),
    ).rejects.toMatchObject({ error: 'access_denied' });
  });
});
