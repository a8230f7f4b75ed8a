// Client authentication at the token and backchannel endpoints (RFC 6749 §2.3.1, contract §2):
// exactly one method, the one the client registered; every failure is 401 invalid_client.
import type { Context } from 'hono';
import type { AppEnv } from '../env.ts';
import { invalidClient } from '../errors.ts';
import { getClient, type ClientRecord } from '../clients/store.ts';
import { constantTimeEqual, sha256 } from '../lib/crypto.ts';
import type { FormParams } from './form.ts';

interface BasicCredentials {
  clientId: string;
  secret: string;
}

const formDecode = (value: string) => decodeURIComponent(value.replace(/\+/g, ' '));

/** Parses `Authorization: Basic`, whose parts are form-urlencoded (RFC 6749 §2.3.1). */
function parseBasic(header: string): BasicCredentials | undefined {
  const match = /^Basic ([A-Za-z0-9+/]+={0,2})$/i.exec(header.trim());
  if (!match) return undefined;
  try {
    const decoded = atob(match[1]!);
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    const clientId = formDecode(decoded.slice(0, colon));
    const secret = formDecode(decoded.slice(colon + 1));
    return clientId && secret ? { clientId, secret } : undefined;
  } catch {
    return undefined;
  }
}

/** Authenticates the calling client from the header and form; returns its record. */
export async function authenticateClient(c: Context<AppEnv>, form: FormParams): Promise<ClientRecord> {
  const realm = c.get('issuer');
  const fail = (description: string) => invalidClient(description, realm);
  const header = c.req.header('Authorization');
  for (const name of ['client_id', 'client_secret', 'client_assertion', 'client_assertion_type']) {
    if (form.isRepeated(name)) throw fail(`The ${name} parameter is given more than once`);
  }
  const basic = header === undefined ? undefined : parseBasic(header);
  if (header !== undefined && !basic) throw fail('The Authorization header is not valid HTTP Basic credentials');

  const bodyId = form.get('client_id');
  const bodySecret = form.get('client_secret');
  const presented = [basic, bodySecret, form.get('client_assertion')].filter((v) => v !== undefined).length;
  if (presented === 0) throw fail('Client authentication is required');
  if (presented > 1) throw fail('Credentials for more than one client authentication method were given');
  if (form.get('client_assertion') !== undefined) {
    throw fail('Client assertions (client_secret_jwt, private_key_jwt) are not supported yet');
  }
  if (basic && bodyId !== undefined && bodyId !== basic.clientId) {
    throw fail('client_id in the body does not match the Authorization header');
  }
  const clientId = basic?.clientId ?? bodyId;
  const secret = basic?.secret ?? bodySecret;
  if (clientId === undefined || secret === undefined) throw fail('client_id is required');

  const client = await getClient(c.env, c.get('tenantId'), clientId);
  const method = basic ? 'client_secret_basic' : 'client_secret_post';
  const matches = client !== undefined && (await constantTimeEqual(await sha256(secret), client.secretHash));
  if (!client || !matches) throw fail('Client authentication failed');
  if (client.metadata.token_endpoint_auth_method !== method) {
    throw fail(`This client authenticates with ${client.metadata.token_endpoint_auth_method}`);
  }
  return client;
}
