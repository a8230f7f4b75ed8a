// End-to-end: the poll flow once per client authentication method (contract §2), with openid-client
// as the relying party making its own client assertions, against a real `wrangler dev`.
import { exportJWK, generateKeyPair } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ADMIN_TOKEN, startWrangler, type Server } from './server.ts';
import { decideOnDevice, setUpTenant } from './http.ts';

const TENANT = `e2e-auth-${Date.now().toString(36)}`;

describe('the poll flow with each client authentication method, openid-client as the RP', () => {
  let server: Server;
  let issuer: string;

  const register = async (metadata: Record<string, unknown>) => {
    const res = await fetch(`${server.origin}/admin/tenants/${TENANT}/clients`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ client_name: `E2E ${metadata.token_endpoint_auth_method}`, ...metadata }),
    });
    expect(res.status).toBe(201);
    return (await res.json()) as { client_id: string; client_secret?: string };
  };

  beforeAll(async () => {
    server = await startWrangler();
    issuer = `${server.origin}/${TENANT}/as`;
    await setUpTenant(server.origin, TENANT, [{ id: 'carol', loginHint: 'carol@example.com', name: 'Carol' }], 'E2E unused');
  });

  afterAll(async () => {
    await server?.stop();
  });

  const flow = async (config: oidc.Configuration, method: string) => {
    const bindingMessage = `E2E ${method}`;
    const response = await oidc.initiateBackchannelAuthentication(config, {
      scope: 'openid',
      login_hint: 'carol@example.com',
      binding_message: bindingMessage,
    });
    await decideOnDevice(server.origin, TENANT, {
      loginHint: 'carol@example.com',
      bindingMessage,
      clientName: `E2E ${method}`,
      decision: 'approved',
      authenticationMethod: 'mobile-id',
    });
    const tokens = await oidc.pollBackchannelAuthenticationGrant(config, response);
    expect(tokens.claims()).toMatchObject({ sub: 'carol', aud: config.clientMetadata().client_id });
    expect(tokens.authentication_method).toBe('mobile-id');
  };

  const discover = (clientId: string, auth: oidc.ClientAuth, metadata: Partial<oidc.ClientMetadata> = {}) =>
    oidc.discovery(new URL(issuer), clientId, metadata, auth, { execute: [oidc.allowInsecureRequests] });

  test('client_secret_basic', async () => {
    const client = await register({ token_endpoint_auth_method: 'client_secret_basic' });
    await flow(await discover(client.client_id, oidc.ClientSecretBasic(client.client_secret!)), 'client_secret_basic');
  });

  test('client_secret_post', async () => {
    const client = await register({ token_endpoint_auth_method: 'client_secret_post' });
    await flow(await discover(client.client_id, oidc.ClientSecretPost(client.client_secret!)), 'client_secret_post');
  });

  test('client_secret_jwt', async () => {
    const client = await register({ token_endpoint_auth_method: 'client_secret_jwt' });
    await flow(await discover(client.client_id, oidc.ClientSecretJwt(client.client_secret!)), 'client_secret_jwt');
  });

  test('private_key_jwt', async () => {
    const { publicKey, privateKey } = await generateKeyPair('PS256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'rp-key-1', alg: 'PS256', use: 'sig' };
    const client = await register({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] } });
    expect(client.client_secret).toBeUndefined();
    await flow(await discover(client.client_id, oidc.PrivateKeyJwt({ key: privateKey, kid: 'rp-key-1' })), 'private_key_jwt');
  });
});
