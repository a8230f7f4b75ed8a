// End-to-end: the poll, ping and push flows with the webhook authenticator, against a real
// `wrangler dev`, with a real HTTP receiver (test/receiver/server.ts) playing both the bank's system
// (the webhook) and the relying party's notification endpoint. openid-client is the relying party;
// the "device" reads the signed webhook and answers through the callback, as a bank's app would.
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startReceiver, type Received } from '../receiver/server.ts';
import { ADMIN_TOKEN, startWrangler, type Server } from './server.ts';

const TENANT = `e2e-hook-${Date.now().toString(36)}`;
const SECRET = `whsec_${Buffer.from('an end-to-end webhook secret....').toString('base64')}`;
const NOTIFICATION_TOKEN = 'e2e-notification-token';

describe('webhook authenticator with poll, ping and push clients over real HTTP', () => {
  let server: Server;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let issuer: string;

  const admin = async (method: string, path: string, body: unknown) => {
    const res = await fetch(`${server.origin}/admin${path}`, {
      method,
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };

  const script = (box: string, answers: unknown[]) =>
    fetch(`${receiver.origin}/_script/${box}`, { method: 'PUT', body: JSON.stringify(answers) });

  const received = async (box: string, count: number): Promise<Received[]> => {
    for (let i = 0; i < 100; i++) {
      const log = (await (await fetch(`${receiver.origin}/_log/${box}`)).json()) as Received[];
      if (log.length >= count) return log;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${box} received fewer than ${count} requests`);
  };

  /** The bank's app: finds the newest signed request for the user and approves it through the callback. */
  const approveOnDevice = async (nth: number) => {
    const request = (await received('bank', nth))[nth - 1]!;
    const event = new Webhook(SECRET).verify(request.body, request.headers) as {
      data: { callback_url: string; callback_token: string };
    };
    const res = await fetch(event.data.callback_url, {
      method: 'POST',
      headers: { Authorization: `Bearer ${event.data.callback_token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ status: 'approved', authentication_method: 'smart-id', acr: 'high' }),
    });
    expect(res.status).toBe(204);
  };

  const configFor = async (metadata: Record<string, unknown>) => {
    const client = (await admin('POST', `/tenants/${TENANT}/clients`, { client_name: 'E2E Hook Bank', ...metadata })) as {
      client_id: string;
      client_secret: string;
    };
    return oidc.discovery(new URL(issuer), client.client_id, client.client_secret, oidc.ClientSecretBasic(client.client_secret), {
      execute: [oidc.allowInsecureRequests],
    });
  };

  beforeAll(async () => {
    [server, receiver] = await Promise.all([startWrangler(), startReceiver()]);
    issuer = `${server.origin}/${TENANT}/as`;
    await script('bank', [{ status: 200, body: { sub: 'bank-bob', claims: { name: 'Bob' } } }]);
    await admin('PUT', `/tenants/${TENANT}`, {
      poll_interval: 1,
      authenticator: { type: 'webhook', url: `${receiver.origin}/bank`, secret: SECRET },
    });
  });

  afterAll(async () => {
    await Promise.all([server?.stop(), receiver?.stop()]);
  });

  test('discovery lists every delivery mode', async () => {
    const config = await configFor({});
    expect(config.serverMetadata().backchannel_token_delivery_modes_supported).toEqual(['poll', 'ping', 'push']);
  });

  test('poll: openid-client polls until the bank’s app approves', async () => {
    const config = await configFor({});
    const response = await oidc.initiateBackchannelAuthentication(config, { scope: 'openid', login_hint: 'bob@bank.example' });
    await approveOnDevice(1);
    const tokens = await oidc.pollBackchannelAuthenticationGrant(config, response);
    expect(tokens.claims()).toMatchObject({ sub: 'bank-bob', acr: 'high', amr: ['swk', 'pin', 'mfa'] });
    expect(tokens.authentication_method).toBe('smart-id');
  });

  test('ping: the RP is pinged, then openid-client redeems the tokens', async () => {
    const config = await configFor({
      backchannel_token_delivery_mode: 'ping',
      backchannel_client_notification_endpoint: `${receiver.origin}/rp-ping`,
    });
    const response = await oidc.initiateBackchannelAuthentication(config, {
      scope: 'openid',
      login_hint: 'bob@bank.example',
      client_notification_token: NOTIFICATION_TOKEN,
    });
    await approveOnDevice(2);
    const [ping] = await received('rp-ping', 1);
    expect(ping!.headers.authorization).toBe(`Bearer ${NOTIFICATION_TOKEN}`);
    expect(JSON.parse(ping!.body)).toEqual({ auth_req_id: response.auth_req_id });
    const tokens = await oidc.pollBackchannelAuthenticationGrant(config, response);
    expect(tokens.claims()).toMatchObject({ sub: 'bank-bob', acr: 'high' });
  });

  test('push: the signed tokens arrive at the RP’s endpoint, bound to the request', async () => {
    const config = await configFor({
      backchannel_token_delivery_mode: 'push',
      backchannel_client_notification_endpoint: `${receiver.origin}/rp-push`,
    });
    const response = await oidc.initiateBackchannelAuthentication(config, {
      scope: 'openid',
      login_hint: 'bob@bank.example',
      client_notification_token: NOTIFICATION_TOKEN,
    });
    expect(response.interval).toBeUndefined();
    await approveOnDevice(3);
    const [push] = await received('rp-push', 1);
    const body = JSON.parse(push!.body) as { auth_req_id: string; id_token: string; access_token: string };
    expect(body.auth_req_id).toBe(response.auth_req_id);
    const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
    const { payload } = await jwtVerify(body.id_token, jwks, { issuer, audience: config.clientMetadata().client_id });
    expect(payload).toMatchObject({ sub: 'bank-bob', acr: 'high', 'urn:openid:params:jwt:claim:auth_req_id': response.auth_req_id });
    expect(payload.at_hash).toEqual(expect.any(String));
    await jwtVerify(body.access_token, jwks, { issuer, typ: 'at+jwt' });
  });
});
