// The single error renderer (src/errors.ts): shapes, statuses and what never leaks.
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { OAuthError, invalidClient, invalidToken, renderError } from '../../src/errors.ts';
import { ConfigurationError } from '../../src/errors.ts';
import { describeSchemaError, toErrorDescription, type SchemaIssue } from '../../src/lib/error-text.ts';
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
  it('a description is in RFC 6749 §5.2 characters there too; a realm is escaped as a quoted-string (RFC 9110 §5.6.4)', () => {
    expect(invalidToken('say "hi" \\ bye').headers['WWW-Authenticate']).toBe(
      "Bearer error=\"invalid_token\", error_description=\"say 'hi' / bye\"",
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

describe('error descriptions (RFC 6749 §5.2)', () => {
  it.each([
    ['plain text stays as it is', 'The scope parameter is required', 'The scope parameter is required'],
    ['double quotes become single', 'must be "eu"', "must be 'eu'"],
    ['a backslash becomes a slash', 'a\\b', 'a/b'],
    ['line breaks and tabs become spaces', 'one\ntwo\tthree', 'one two three'],
    ['control characters and non-ASCII become ?', 'caf\u00e9 \u0001\u2603 \u{1F600}', 'caf? ?? ??'],
  ])('%s', (_name, given, sent) => {
    expect(toErrorDescription(given)).toBe(sent);
    expect(new OAuthError('invalid_request', given).description).toBe(sent);
  });

  it.each<[string, SchemaIssue, string]>([
    ['our own message', { path: ['scopes'], message: 'must include openid', code: 'custom' }, 'scopes: must include openid'],
    ['a missing member', { path: ['url'], message: 'Invalid input', code: 'invalid_type', expected: 'string' }, 'url: is required'],
    ['a member of the wrong type', { path: ['ttl'], message: 'Invalid input', code: 'invalid_type', expected: 'int', input: 'ten' }, 'ttl: must be an integer'],
    ['one of several values', { path: ['jurisdiction'], message: 'Invalid input', code: 'invalid_value', values: ['eu', 'fedramp'] }, 'jurisdiction: must be one of eu or fedramp'],
    ['values not fit to name', { path: ['x'], message: 'Invalid input', code: 'invalid_value', values: ['a b', 'c'] }, 'x: is not an accepted value'],
    ['a short string', { path: ['name'], message: 'Invalid input', code: 'too_small', origin: 'string', minimum: 1 }, 'name: must be at least 1 characters long'],
    ['a long array', { path: ['amr'], message: 'Invalid input', code: 'too_big', origin: 'array', maximum: 16 }, 'amr: must hold at most 16 items'],
    ['a number bound', { path: ['limit'], message: 'Invalid input', code: 'too_small', origin: 'number', minimum: 0, inclusive: false }, 'limit: must be greater than 0'],
    ['unknown members, named when plain', { path: [], message: 'Invalid input', code: 'unrecognized_keys', keys: ['colour'] }, 'holds members this server does not take (colour); remove them'],
    ['unknown members, not named otherwise', { path: [], message: 'Invalid input', code: 'unrecognized_keys', keys: ['"x"'] }, 'holds members this server does not take; remove them'],
  ])('a schema problem: %s', (_name, issue, description) => {
    expect(describeSchemaError({ issues: [issue] })).toBe(description);
  });
});
