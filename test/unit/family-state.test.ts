// Table-driven tests of the pure grant rules (src/tokens/family-state.ts): which refresh token is
// presented, rotation in constant space, reuse, forgeries, revocation, records of the earlier shape.
import { describe, expect, it } from 'vitest';
import { refresh, refreshTokenStanding, revoke, upgradeFamily, type GrantState, type PresentedRefresh } from '../../src/tokens/family-state.ts';

const T0 = 1_800_000_000_000;
const caller = { tenantId: 'acme', tenantIncarnation: 'inc-1' };

function grant(overrides: Partial<GrantState> = {}): GrantState {
  return {
    grantId: 'g',
    ...caller,
    issuer: 'https://as.example/acme/as',
    clientId: 'rp',
    sub: 'alice',
    consent: { scope: 'openid email' },
    authentication: { authenticationMethod: 'smart-id', authTime: 1_800_000_000 },
    refreshHash: 'h5',
    refreshGeneration: 5,
    status: 'active',
    createdAt: T0,
    expiresAt: T0 + 86_400_000,
    ...overrides,
  };
}

const token = (hash: string, generation: number, authentic = true): PresentedRefresh => ({ hash, generation, authentic });
const refreshing = (presented: PresentedRefresh, extra: { scope?: string[]; clientId?: string } = {}) => ({
  ...caller,
  clientId: 'rp',
  token: presented,
  nextHash: 'next',
  ...extra,
});

describe('refreshTokenStanding', () => {
  it.each([
    ['the current token', grant(), token('h5', 5), 'current'],
    ['the current hash under another generation', grant(), token('h5', 4, false), 'unknown'],
    ['an authentic earlier generation', grant(), token('h1', 1), 'spent'],
    ['a forged earlier generation', grant(), token('h1', 1, false), 'unknown'],
    ['an authentic token of the current generation that was never handed out', grant(), token('other', 5), 'unknown'],
    ['an authentic later generation', grant(), token('h6', 6), 'unknown'],
    ['the current token of a record of the earlier shape', grant({ refreshGeneration: undefined, refreshHash: 'old' }), token('old', 0, false), 'current'],
    ['a listed token of a record of the earlier shape', grant({ spentHashes: ['old'] }), token('old', 0, false), 'spent'],
    ['an unlisted token of the earlier shape', grant({ spentHashes: ['old'] }), token('new', 0, false), 'unknown'],
  ] as const)('%s: %s', (_name, state, presented, expected) => {
    expect(refreshTokenStanding(state, presented)).toBe(expected);
  });
});

describe('refresh', () => {
  it('rotates the current token to the next generation, growing nothing', () => {
    const { next, outcome } = refresh(grant(), refreshing(token('h5', 5)), T0);
    expect(outcome).toMatchObject({ status: 'rotated', scope: 'openid email' });
    expect(next).toEqual(grant({ refreshHash: 'next', refreshGeneration: 6 }));
  });

  it('revokes the grant on an authentic spent token, and only once', () => {
    const { next, outcome } = refresh(grant(), refreshing(token('h2', 2)), T0);
    expect(outcome).toMatchObject({ status: 'invalid_grant', reason: expect.stringContaining('spent') });
    expect(next?.status).toBe('revoked');
    expect(refresh(next, refreshing(token('h2', 2)), T0).next).toBeUndefined();
  });

  it.each([
    ['a forged earlier generation', refreshing(token('h2', 2, false))],
    ['another client', refreshing(token('h5', 5), { clientId: 'other' })],
    ['another tenant incarnation', { ...refreshing(token('h5', 5)), tenantIncarnation: 'inc-2' }],
  ])('changes nothing for %s', (_name, input) => {
    expect(refresh(grant(), input, T0)).toEqual({ outcome: { status: 'invalid_grant', reason: 'unknown refresh token' } });
  });

  it('refuses a wider scope without spending the token, and an expired or revoked grant', () => {
    expect(refresh(grant(), refreshing(token('h5', 5), { scope: ['openid', 'phone'] }), T0)).toEqual({ outcome: { status: 'invalid_scope', scope: 'phone' } });
    expect(refresh(grant(), refreshing(token('h5', 5)), T0 + 86_400_000).next).toBeUndefined();
    expect(refresh(grant({ status: 'revoked' }), refreshing(token('h5', 5)), T0).next).toBeUndefined();
  });

  it('moves a record of the earlier shape to generation 1, listing its last token of that shape once', () => {
    const legacy = grant({ refreshGeneration: undefined, refreshHash: 'old', spentHashes: ['older'] });
    const { next } = refresh(legacy, refreshing(token('old', 0, false)), T0);
    expect(next).toMatchObject({ refreshGeneration: 1, refreshHash: 'next', spentHashes: ['older', 'old'] });
    const after = refresh(next, { ...refreshing(token('next', 1)), nextHash: 'n2' }, T0).next;
    expect(after).toMatchObject({ refreshGeneration: 2, refreshHash: 'n2', spentHashes: ['older', 'old'] });
    expect(refreshTokenStanding(after!, token('older', 0, false))).toBe('spent');
  });
});

describe('revoke', () => {
  it.each([
    ['by an access token (no refresh token)', undefined, 'revoked'],
    ['by the current refresh token', token('h5', 5), 'revoked'],
    ['by an authentic spent one', token('h1', 1), 'revoked'],
    ['not by a forged one', token('h1', 1, false), undefined],
  ] as const)('%s', (_name, presented, status) => {
    const { next } = revoke(grant(), { ...caller, clientId: 'rp', ...(presented ? { token: presented } : {}) });
    expect(next?.status).toBe(status);
  });

  it('not by another client', () => {
    expect(revoke(grant(), { ...caller, clientId: 'other' }).next).toBeUndefined();
  });
});

describe('upgradeFamily: a grant stored before its consent and authentication were named', () => {
  it('reads the flat members as the consent and the approval as the authentication', () => {
    const { consent: _c, authentication: _a, ...rest } = grant();
    const earlier = {
      ...rest,
      scope: 'openid email',
      resource: ['https://api.example.com/'],
      authorizationDetailsJson: JSON.stringify([{ type: 'payment_initiation', amount: '42' }]),
      bindingMessage: 'Pay 42 EUR',
      approval: { authenticationMethod: 'mobile-id', acr: 'high', authTime: 1_800_000_000 },
    };
    expect(upgradeFamily(earlier)).toEqual({
      ...rest,
      consent: {
        scope: 'openid email',
        resource: ['https://api.example.com/'],
        authorizationDetails: [{ type: 'payment_initiation', amount: '42' }],
        bindingMessage: 'Pay 42 EUR',
      },
      authentication: { authenticationMethod: 'mobile-id', acr: 'high', authTime: 1_800_000_000 },
    });
  });

  it('leaves a grant of the current shape, and no grant, as they are', () => {
    expect(upgradeFamily(grant())).toEqual(grant());
    expect(upgradeFamily(undefined)).toBeUndefined();
  });
});
