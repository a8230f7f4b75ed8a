// Refresh token rotation in constant space (RFC 9700 §4.14; contract §4; docs/storage.md TokenGrant):
// the grant's object keeps the current token's hash and generation, never a list of spent ones; an
// authentic token of an earlier generation is reuse and revokes the grant, a forged one revokes
// nothing; racing refreshes of one token give tokens once; a grant stored in the earlier shape is read.
import { env } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import type { GrantState } from '../../src/tokens/family-state.ts';
import { STATE_KEY, grantStub } from '../../src/tokens/family.ts';
import { base64url, fromBase64url } from '../../src/lib/encoding.ts';
import { sha256 } from '../../src/lib/crypto.ts';
import { tenantRef } from '../helpers/api.ts';
import {
  type Tokens,
  expectInvalidToken,
  isActive,
  refresh,
  refreshingSetup,
  revoke,
  tokensFor,
  userinfo,
} from '../helpers/grants.ts';
import { expectOAuthError } from '../helpers/oauth.ts';

/** The grant's stored record, read inside its Durable Object. */
async function storedGrant(tenant: string, accessToken: string): Promise<GrantState> {
  const stub = grantStub(env, await tenantRef(tenant), decodeJwt(accessToken).gid as string);
  return (await runInDurableObject(stub, (_instance, state) => state.storage.kv.get<GrantState>(STATE_KEY)))!;
}

async function writeGrant(tenant: string, accessToken: string, record: GrantState): Promise<void> {
  const stub = grantStub(env, await tenantRef(tenant), decodeJwt(accessToken).gid as string);
  await runInDurableObject(stub, (_instance, state) => state.storage.kv.put(STATE_KEY, record));
}

async function refreshed(tenant: string, client: Parameters<typeof refresh>[1], token: string): Promise<Tokens> {
  const res = await refresh(tenant, client, token);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Tokens;
}

/** Its serialized size, less the digits of the generation counter (the one member that counts). */
const sizeBesidesCounter = (record: GrantState) => JSON.stringify(record).length - String(record.refreshGeneration).length;

/** A refresh token naming `grantId` and `generation`, with any secret and tag: what a guesser can make. */
function forgedToken(grantId: string, generation: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(84));
  bytes.set(fromBase64url(grantId)!, 0);
  new DataView(bytes.buffer).setUint32(16, generation);
  return base64url(bytes);
}

describe('a long-lived grant', () => {
  it('keeps a state of one size however often it rotates, and a token of generation 1 after 50 rotations still revokes it', async () => {
    const { tenant, client } = await refreshingSetup();
    const first = await tokensFor(tenant, client, 'openid profile');
    let current = await refreshed(tenant, client, first.refresh_token!);
    const afterOne = await storedGrant(tenant, first.access_token);
    for (let i = 1; i < 50; i++) current = await refreshed(tenant, client, current.refresh_token!);
    const afterFifty = await storedGrant(tenant, first.access_token);

    expect(Object.keys(afterFifty).sort()).toEqual(Object.keys(afterOne).sort());
    expect(sizeBesidesCounter(afterFifty)).toBe(sizeBesidesCounter(afterOne));
    expect(afterFifty).not.toHaveProperty('spentHashes');
    expect(afterOne.refreshGeneration).toBe(2);
    expect(afterFifty.refreshGeneration).toBe(51);
    expect(afterFifty.refreshHash).toBe(await sha256(current.refresh_token!));

    expect((await userinfo(tenant, current.access_token)).status).toBe(200);
    await expectOAuthError(await refresh(tenant, client, first.refresh_token!), 400, 'invalid_grant');
    expect((await storedGrant(tenant, first.access_token)).status).toBe('revoked');
    await expectOAuthError(await refresh(tenant, client, current.refresh_token!), 400, 'invalid_grant');
    expect(await isActive(tenant, client, current.access_token)).toBe(false);
    expect(await isActive(tenant, client, current.refresh_token!)).toBe(false);
    await expectInvalidToken(await userinfo(tenant, current.access_token));
  });

  it('is not revoked by a forged token naming it and an earlier generation, nor by a spent token altered', async () => {
    const { tenant, client } = await refreshingSetup();
    const first = await tokensFor(tenant, client);
    const grantId = decodeJwt(first.access_token).gid as string;
    let current = await refreshed(tenant, client, first.refresh_token!);
    current = await refreshed(tenant, client, current.refresh_token!);
    // A spent token of generation 1 with one secret byte changed: its tag no longer matches.
    const spent = fromBase64url(first.refresh_token!)!;
    spent[30] = spent[30]! ^ 1;
    for (const token of [forgedToken(grantId, 1), forgedToken(grantId, 2), forgedToken(grantId, 3), forgedToken(grantId, 99), base64url(spent)]) {
      await expectOAuthError(await refresh(tenant, client, token), 400, 'invalid_grant');
      expect((await revoke(tenant, client, token)).status).toBe(200);
    }
    expect((await storedGrant(tenant, first.access_token)).status).toBe('active');
    expect(await isActive(tenant, client, current.access_token)).toBe(true);
    expect((await refresh(tenant, client, current.refresh_token!)).status).toBe(200);
  });

  it('is ended by revoking a spent refresh token of it (RFC 7009 §2.1)', async () => {
    const { tenant, client } = await refreshingSetup();
    const first = await tokensFor(tenant, client);
    const current = await refreshed(tenant, client, first.refresh_token!);
    expect((await revoke(tenant, client, first.refresh_token!)).status).toBe(200);
    expect(await isActive(tenant, client, current.access_token)).toBe(false);
    await expectOAuthError(await refresh(tenant, client, current.refresh_token!), 400, 'invalid_grant');
  });
});

describe('racing refreshes of one token', () => {
  it('give tokens exactly once; the others present a spent token, which revokes the grant', async () => {
    const { tenant, client } = await refreshingSetup();
    const first = await tokensFor(tenant, client);
    const answers = await Promise.all(Array.from({ length: 5 }, () => refresh(tenant, client, first.refresh_token!)));
    const winners = answers.filter((res) => res.status === 200);
    expect(winners).toHaveLength(1);
    for (const res of answers.filter((r) => r.status !== 200)) await expectOAuthError(res, 400, 'invalid_grant');
    const won = (await winners[0]!.json()) as Tokens;
    expect((await storedGrant(tenant, first.access_token)).status).toBe('revoked');
    await expectOAuthError(await refresh(tenant, client, won.refresh_token!), 400, 'invalid_grant');
    expect(await isActive(tenant, client, won.access_token)).toBe(false);
  });
});

describe('a grant stored in the earlier shape (a list of spent hashes)', () => {
  /** Refresh tokens of the earlier shape: the grant id and 256 CSPRNG bits. */
  function legacyToken(grantId: string): string {
    const bytes = crypto.getRandomValues(new Uint8Array(48));
    bytes.set(fromBase64url(grantId)!, 0);
    return base64url(bytes);
  }

  it('rotates its current token into the new shape, keeps its list without growing it, and its spent tokens still revoke', async () => {
    const { tenant, client } = await refreshingSetup();
    const first = await tokensFor(tenant, client);
    const grantId = decodeJwt(first.access_token).gid as string;
    const [spentEarlier, currentLegacy] = [legacyToken(grantId), legacyToken(grantId)];
    const { refreshGeneration: _generation, ...stored } = await storedGrant(tenant, first.access_token);
    await writeGrant(tenant, first.access_token, { ...stored, refreshHash: await sha256(currentLegacy), spentHashes: [await sha256(spentEarlier)] });

    const second = await refreshed(tenant, client, currentLegacy);
    expect(second.refresh_token).toMatch(/^[A-Za-z0-9_-]{112}$/);
    const migrated = await storedGrant(tenant, first.access_token);
    expect(migrated).toMatchObject({ refreshGeneration: 1, spentHashes: [await sha256(spentEarlier), await sha256(currentLegacy)] });
    const third = await refreshed(tenant, client, second.refresh_token!);
    expect((await storedGrant(tenant, first.access_token)).spentHashes).toEqual(migrated.spentHashes);

    await expectOAuthError(await refresh(tenant, client, spentEarlier), 400, 'invalid_grant');
    expect(await isActive(tenant, client, third.access_token)).toBe(false);
    await expectOAuthError(await refresh(tenant, client, third.refresh_token!), 400, 'invalid_grant');
  });
});
