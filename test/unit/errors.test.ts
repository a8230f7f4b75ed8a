// The single error renderer (src/errors.ts): shapes, statuses and what never leaks.
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { OAuthError, invalidClient, invalidToken, renderError } from '../../src/errors.ts';
import { ConfigurationError } from '../../src/lib/secrets.ts';
import { expectOAuthError } from '../helpers/oauth.ts';

function appThrowing(err: unknown) {
  const app = new Hono();
  app.onError(renderError);
  app.get('/', () => {
    throw err;
  });
  return app;
}

describe('renderError', () => {
  it('renders an OAuthError with its status, headers and no-store', async () => {
    const res = await appThrowing(new OAuthError('slow_down', 'wait')).request('/');
    const body = await expectOAuthError(res, 400, 'slow_down');
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    expect(body).toEqual({ error: 'slow_down', error_description: 'wait' });
  });

  it('turns an unexpected failure into server_error without its message', async () => {
    const res = await appThrowing(new Error('secret detail')).request('/');
    const text = await res.clone().text();
    await expectOAuthError(res, 500, 'server_error');
    expect(text).not.toContain('secret detail');
  });

  it.each([
    ['retryable', Object.assign(new Error('Durable Object reset because its code was updated.'), { retryable: true })],
    ['overloaded', Object.assign(new Error('Durable Object is overloaded.'), { overloaded: true })],
  ])('turns a %s platform failure into 503 temporarily_unavailable', async (_name, err) => {
    const res = await appThrowing(err).request('/');
    const body = await expectOAuthError(res, 503, 'temporarily_unavailable');
    expect(res.headers.get('Retry-After')).toBe('1');
    expect(body.error_description).not.toContain('Durable Object');
  });
});

describe('WWW-Authenticate values', () => {
  it('escapes double quotes and backslashes in quoted parameters (RFC 9110 §5.6.4)', () => {
    expect(invalidToken('say "hi" \\ bye').headers['WWW-Authenticate']).toBe(
      'Bearer error="invalid_token", error_description="say \\"hi\\" \\\\ bye"',
    );
    expect(invalidClient('nope', 'https://as.example/"x"/as').headers['WWW-Authenticate']).toBe(
      'Basic realm="https://as.example/\\"x\\"/as"',
    );
  });
});

describe('configuration faults', () => {
  it('a ConfigurationError is 500 server_error “not configured”, its cause logged, never sent', async () => {
    const res = await appThrowing(new ConfigurationError('KEY_ENCRYPTION_SECRET is not set')).request('/');
    const body = await expectOAuthError(res, 500, 'server_error');
    expect(body.error_description).toBe('The server is not configured');
    expect(JSON.stringify(body)).not.toContain('KEY_ENCRYPTION_SECRET');
  });
});
