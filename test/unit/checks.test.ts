// The backchannel request's parameter checks (src/ciba/checks.ts) and the auth_req_id layout.
import { describe, expect, it } from 'vitest';
import { checkAcrValues, checkBindingMessage, checkClientNotificationToken, checkRequestedExpiry, checkScope, checkUserCodePresence } from '../../src/ciba/checks.ts';
import { mintRequestCredentials, requestIdOf } from '../../src/ciba/auth-req-id.ts';
import { fromBase64url } from '../../src/lib/encoding.ts';
import { OAuthError } from '../../src/errors.ts';
import { amrFor } from '../../src/tokens/amr.ts';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (err instanceof OAuthError) return err.code;
    throw err;
  }
}

describe('binding_message', () => {
  it.each([
    ['Pay 10 EUR', undefined],
    ['Kood 4711: makse 12,50 €', undefined],
    ['Überweisung — ¥100 ¿sí?', undefined],
    ['漢字とカナ', undefined],
    ['x'.repeat(64), undefined],
    ['x'.repeat(65), 'invalid_binding_message'],
    ['tab\there', 'invalid_binding_message'],
    ['new\nline', 'invalid_binding_message'],
    ['emoji 😀', 'invalid_binding_message'],
    ['math + sign', 'invalid_binding_message'],
    ['a\u200Bb', 'invalid_binding_message'],
  ])('%j → %s', (message, code) => {
    expect(codeOf(() => checkBindingMessage(message))).toBe(code);
  });
  it('counts characters, not UTF-16 units', () => {
    expect(codeOf(() => checkBindingMessage('é'.normalize('NFD').repeat(32)))).toBeUndefined();
  });
});

describe('scope', () => {
  const offered = ['openid', 'profile', 'email'];
  it.each([
    [undefined, 'invalid_request'],
    ['profile', 'invalid_scope'],
    ['openid payments', 'invalid_scope'],
    ['openid "x"', 'invalid_request'],
    ['openid profile', undefined],
    ['openid  openid  email', undefined],
  ])('%j → %s', (scope, code) => {
    expect(codeOf(() => checkScope(scope, offered))).toBe(code);
  });
  it('keeps to the scopes a client registered', () => {
    expect(codeOf(() => checkScope('openid email', offered, ['openid', 'profile']))).toBe('invalid_scope');
    expect(checkScope('openid profile', offered, ['openid', 'profile'])).toEqual(['openid', 'profile']);
  });
  it('deduplicates', () => expect(checkScope('openid email openid', offered)).toEqual(['openid', 'email']));
});

describe('requested_expiry', () => {
  it.each([
    ['120', '120', 120],
    ['above the maximum', '99999', 3600],
    ['eleven digits', '99999999999', 3600],
    ['a thousand digits', '1'.repeat(1000), 3600],
    ['leading zeros', '0060', 60],
    ['absent', undefined, 300],
  ])('%s → %d s', (_name, value, ttl) => expect(checkRequestedExpiry(value, 300, 3600)).toBe(ttl));
  it.each(['0', '000', '-5', '+5', '1.5', 'abc', '1e3', ' 60', '60 ', '0x10', '١٢٠'])('%j → invalid_request', (value) => {
    expect(codeOf(() => checkRequestedExpiry(value, 300, 3600))).toBe('invalid_request');
  });
});

describe('client_notification_token', () => {
  it('is not needed for poll clients', () => expect(checkClientNotificationToken(undefined, 'poll')).toBeUndefined());
  it.each([
    [undefined, 'invalid_request'],
    ['abc.DEF-_~+/==', undefined],
    ['has space', 'invalid_request'],
    ['a'.repeat(1024), undefined],
    ['a'.repeat(1025), 'invalid_request'],
    ['=abc', 'invalid_request'],
  ])('ping: %j → %s', (value, code) => {
    expect(codeOf(() => checkClientNotificationToken(value, 'ping'))).toBe(code);
    expect(codeOf(() => checkClientNotificationToken(value, 'push'))).toBe(code);
  });
});

describe('acr_values and user_code', () => {
  it('splits acr_values', () => expect(checkAcrValues('urn:a  b')).toEqual(['urn:a', 'b']));
  it('requires user_code only where both sides use it', () => {
    expect(codeOf(() => checkUserCodePresence(undefined, true))).toBe('missing_user_code');
    expect(checkUserCodePresence(undefined, false)).toBeUndefined();
    expect(checkUserCodePresence('1234', false)).toBeUndefined();
    expect(checkUserCodePresence('1234', true)).toBe('1234');
  });
});

describe('auth_req_id', () => {
  it('carries at least 160 CSPRNG bits beyond the request id, base64url, distinct every time', () => {
    const a = mintRequestCredentials();
    const b = mintRequestCredentials();
    expect(a.authReqId).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(fromBase64url(a.authReqId)!.length - 16).toBeGreaterThanOrEqual(20);
    expect(a.authReqId).not.toBe(b.authReqId);
    expect(a.callbackToken).not.toBe(a.authReqId);
    expect(requestIdOf(a.authReqId)).toBe(a.requestId);
    expect(requestIdOf(a.callbackToken)).toBe(a.requestId);
  });
  it.each(['', 'short', `${'A'.repeat(53)}!`, 'A'.repeat(80)])('rejects %j', (value) => {
    expect(requestIdOf(value)).toBeUndefined();
  });
});

describe('amr', () => {
  it('maps known methods, prefers what was reported, and omits unknown ones', () => {
    expect(amrFor('mobile-id')).toEqual(['hwk', 'pin', 'mfa']);
    expect(amrFor('smart-id', ['face'])).toEqual(['face']);
    expect(amrFor('carrier-pigeon')).toBeUndefined();
  });
});
