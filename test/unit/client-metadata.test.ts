// Client metadata rules (src/clients/metadata.ts), pure and table-driven: what registers, with which
// defaults, and what is refused as invalid_client_metadata with a description naming the member.
import { describe, expect, it } from 'vitest';
import { parseClientMetadata } from '../../src/clients/metadata.ts';
import { OAuthError } from '../../src/errors.ts';
import { CIBA_GRANT_TYPE } from '../../src/vocabulary.ts';

const EC_KEY = { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' };
const keyed = { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [EC_KEY] } };

describe('client metadata that registers', () => {
  it('an empty body: a poll client of the CIBA grant with client_secret_basic', () => {
    expect(parseClientMetadata({}, false)).toEqual({
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: [CIBA_GRANT_TYPE],
      backchannel_token_delivery_mode: 'poll',
      backchannel_user_code_parameter: false,
    });
  });

  it.each<[string, Record<string, unknown>, boolean]>([
    ['private_key_jwt with inline keys', keyed, false],
    ['private_key_jwt with a jwks_uri', { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://rp.example.com/jwks' }, false],
    ['client_secret_jwt with HS512', { token_endpoint_auth_method: 'client_secret_jwt', token_endpoint_auth_signing_alg: 'HS512' }, false],
    ['a secret client that signs its requests with its own keys', { jwks: { keys: [EC_KEY] }, backchannel_authentication_request_signing_alg: 'ES256' }, false],
    ['ping to https', { backchannel_token_delivery_mode: 'ping', backchannel_client_notification_endpoint: 'https://rp.example.com/cb' }, false],
    ['push to loopback http in development', { backchannel_token_delivery_mode: 'push', backchannel_client_notification_endpoint: 'http://127.0.0.1:9/cb' }, true],
    ['a long-polling poll client', { backchannel_long_poll_wait: 25 }, false],
    ['the refresh_token grant and a scope list', { grant_types: [CIBA_GRANT_TYPE, 'refresh_token'], scope: 'openid profile' }, false],
  ])('%s', (_name, metadata, development) => {
    expect(parseClientMetadata(metadata, development)).toMatchObject(metadata);
  });
});

describe('client metadata that is refused (invalid_client_metadata)', () => {
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['an unknown auth method', { token_endpoint_auth_method: 'none' }, /^token_endpoint_auth_method: must be one of client_secret_basic/],
    ['private_key_jwt without keys', { token_endpoint_auth_method: 'private_key_jwt' }, /^jwks or jwks_uri: required for private_key_jwt$/],
    ['both jwks and jwks_uri', { ...keyed, jwks_uri: 'https://rp.example.com/jwks' }, /^jwks and jwks_uri: give one, not both$/],
    ['an HMAC algorithm for private_key_jwt', { ...keyed, token_endpoint_auth_signing_alg: 'HS256' }, /^token_endpoint_auth_signing_alg: must be one of RS256/],
    ['an asymmetric algorithm for client_secret_jwt', { token_endpoint_auth_method: 'client_secret_jwt', token_endpoint_auth_signing_alg: 'ES256' }, /HS256, HS384, HS512/],
    ['an algorithm for client_secret_post', { token_endpoint_auth_method: 'client_secret_post', token_endpoint_auth_signing_alg: 'HS256' }, /not used by client_secret_post/],
    ['keys for a secret client that signs nothing', { jwks: { keys: [EC_KEY] } }, /^jwks and jwks_uri: not used by client_secret_basic/],
    ['a private key', { ...keyed, jwks: { keys: [{ ...EC_KEY, d: 'secret' }] } }, /must be a public key/],
    ['a request signing algorithm without keys', { backchannel_authentication_request_signing_alg: 'PS256' }, /required with backchannel_authentication_request_signing_alg/],
    ['an unknown grant', { grant_types: ['password'] }, /^grant_types: password is not supported/],
    ['an unknown delivery mode', { backchannel_token_delivery_mode: 'fax' }, /^backchannel_token_delivery_mode: must be poll, ping or push$/],
    ['ping without an endpoint', { backchannel_token_delivery_mode: 'ping' }, /^backchannel_client_notification_endpoint: required for ping delivery/],
    ['push with long polling', { backchannel_token_delivery_mode: 'push', backchannel_client_notification_endpoint: 'https://rp.example.com/cb', backchannel_long_poll_wait: 5 }, /a push client never polls/],
    ['an http endpoint outside development', { backchannel_token_delivery_mode: 'ping', backchannel_client_notification_endpoint: 'http://rp.example.com/cb' }, /^backchannel_client_notification_endpoint: must be an https URL$/],
    ['a long-poll wait over 25 s', { backchannel_long_poll_wait: 26 }, /^backchannel_long_poll_wait: must be at most 25$/],
    ['a client_name that is not a string', { client_name: 42 }, /^client_name: must be a string$/],
    ['a scope that is not a scope list', { scope: 'openid  profile' }, /^scope: /],
  ])('%s', (_name, metadata, description) => {
    let thrown: unknown;
    try {
      parseClientMetadata(metadata, false);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(OAuthError);
    expect((thrown as OAuthError).code).toBe('invalid_client_metadata');
    expect((thrown as OAuthError).description).toMatch(description);
  });
});
