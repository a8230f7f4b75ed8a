// Races and faults (issue 13): exactly once under a hundred concurrent polls; a decision racing
// expiry, and a cancel racing an approval (and the polls, held polls or push delivery that would
// redeem it), end in one outcome; a request's object evicted from memory mid-flow keeps its state.
import { env } from 'cloudflare:workers';
import { evictDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { authRequestStub } from '../../src/ciba/auth-req-id.ts';
import {
  approve,
  backchannel,
  callback,
  callbackTokenFor,
  deviceFormProof,
  deviceSubmit,
  poll,
  requestIdOf,
  setup,
  startRequest,
  cancelRequest,
  timelineOf,
  type TestClient,
} from '../helpers/api.ts';
import { expectOAuthError } from '../helpers/oauth.ts';
import { newBox, received, notifiedSetup } from '../helpers/receiver.ts';

describe('races', () => {
  it('a hundred concurrent polls after approval give exactly one 200', async () => {
    const { tenant, client } = await setup();
    const { auth_req_id } = await startRequest(tenant, client);
    await approve(tenant, auth_req_id);
    const answers = await Promise.all(Array.from({ length: 100 }, () => poll(tenant, client, auth_req_id)));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    const errors = await Promise.all(answers.filter((r) => r.status !== 200).map(async (r) => ((await r.json()) as { error: string }).error));
    expect(errors).toHaveLength(99);
    expect(new Set(errors)).toEqual(new Set(['invalid_grant']));
  });

  it('a decision racing expiry ends in one outcome, and no tokens after expiry', async () => {
    const { tenant, client } = await setup();
    for (let i = 0; i < 3; i++) {
      const { auth_req_id } = await startRequest(tenant, client, { requested_expiry: '1' });
      const token = await callbackTokenFor(tenant, auth_req_id);
      await new Promise((r) => setTimeout(r, 950 + i * 40));
      const decided = await callback(tenant, token, { status: 'approved', authentication_method: 'smart-id' });
      expect([204, 410]).toContain(decided.status);
      await new Promise((r) => setTimeout(r, 300));
      // Approved just in time or not, once past expiry the request is expired, never redeemed.
      await expectOAuthError(await poll(tenant, client, auth_req_id), 400, 'expired_token');
      const { events } = await timelineOf(tenant, auth_req_id);
      const names = events.map((e) => e.event);
      expect(names.filter((e) => e === 'expired')).toHaveLength(1);
      expect(names.includes('approved')).toBe(decided.status === 204);
      expect(names).not.toContain('redeemed');
    }
  });
});

describe('faults', () => {
  it('a request object evicted from memory at every step keeps its state', async () => {
    const { tenant, client } = await setup();
    const { auth_req_id } = await startRequest(tenant, client);
    const stub = () => authRequestStub(env, { id: tenant, settings: {} }, requestIdOf(auth_req_id));
    await evictDurableObject(stub());
    await expectOAuthError(await poll(tenant, client, auth_req_id), 400, 'authorization_pending');
    await evictDurableObject(stub());
    await approve(tenant, auth_req_id);
    await evictDurableObject(stub());
    expect((await poll(tenant, client, auth_req_id)).status).toBe(200);
    await evictDurableObject(stub());
    await expectOAuthError(await poll(tenant, client, auth_req_id), 400, 'invalid_grant');
  });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const after = <T>(ms: number, f: () => Promise<T>) => sleep(ms).then(f);

async function expectCancelAnswered(res: Response) {
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({});
}

/**
 * The RP's answers in a race: every poll is the tokens or one of the errors a pending, cancelled or
 * redeemed request gives; returns the token responses.
 */
async function tokensAmong(answers: Response[], label: string): Promise<Record<string, unknown>[]> {
  const tokens: Record<string, unknown>[] = [];
  for (const res of answers) {
    if (res.status === 200) {
      const body = (await res.json()) as Record<string, unknown>;
      expect(body, label).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String), id_token: expect.any(String) });
      tokens.push(body);
    } else {
      const text = await res.text();
      expect(res.status, `${label}: ${text}`).toBe(400);
      expect(['authorization_pending', 'slow_down', 'invalid_grant'], `${label}: ${text}`).toContain(
        (JSON.parse(text) as { error: string }).error,
      );
    }
  }
  return tokens;
}

/**
 * The one outcome of a finished race: redeemed (its tokens issued exactly once, the cancel changed
 * nothing) or cancelled (no tokens at all); never both, never neither, and the state says the same.
 */
async function expectOneOutcome(tenant: string, client: TestClient, authReqId: string, tokensIssued: number, label: string) {
  const { status, events } = await timelineOf(tenant, authReqId);
  const names = events.map((e) => e.event);
  const redeemed = names.filter((e) => e === 'redeemed').length;
  const cancelled = names.filter((e) => e === 'cancelled').length;
  expect({ redeemed, cancelled, status }, `${label}: ${names.join(' ')}`).toEqual(
    redeemed === 1 ? { redeemed: 1, cancelled: 0, status: 'redeemed' } : { redeemed: 0, cancelled: 1, status: 'cancelled' },
  );
  expect(tokensIssued, `${label}: tokens issued, timeline ${names.join(' ')}`).toBe(redeemed);
  // Settled for good: whichever way it went, the next poll finds nothing to redeem.
  await expectOAuthError(await poll(tenant, client, authReqId), 400, 'invalid_grant', label);
  return { outcome: redeemed === 1 ? ('redeemed' as const) : ('cancelled' as const), names };
}

describe('a cancel racing an approval', () => {
  it('ends in exactly one outcome, with the RP polling meanwhile: the tokens once, or cancelled and none', async () => {
    const { tenant, client } = await setup();
    for (let i = 0; i < 8; i++) {
      const label = `round ${i}`;
      const { auth_req_id } = await startRequest(tenant, client);
      // Half the rounds the user approves on the device page, half the authenticator calls back.
      const viaDevice = i % 2 === 1;
      const decide = viaDevice
        ? await deviceFormProof(tenant).then((proof) => () =>
            deviceSubmit(tenant, proof, { request_id: requestIdOf(auth_req_id), decision: 'approved', authentication_method: 'smart-id' }))
        : await callbackTokenFor(tenant, auth_req_id).then((token) => () =>
            callback(tenant, token, { status: 'approved', authentication_method: 'smart-id' }));
      const [decided, cancelled, ...polls] = await Promise.all([
        decide(),
        after([0, 1, 3, 8][i % 4]!, () => cancelRequest(tenant, client, auth_req_id)),
        ...[0, 2, 4, 8, 16, 32].map((ms) => after(ms, () => poll(tenant, client, auth_req_id))),
      ]);
      await expectCancelAnswered(cancelled);
      const approved = decided.status === (viaDevice ? 303 : 204);
      if (!approved) {
        // The cancel came first: the decision finds the request cancelled (410), or, on the device
        // page, already taken off the user's list (404).
        if (decided.status === 404 && viaDevice) await expectOAuthError(decided, 404, 'invalid_request', label);
        else await expectOAuthError(decided, 410, 'expired_token', label);
      }
      const tokens = await tokensAmong(polls, label);
      const { names } = await expectOneOutcome(tenant, client, auth_req_id, tokens.length, label);
      expect(names.includes('approved'), `${label}: ${names.join(' ')}`).toBe(approved);
    }
  }, 30_000);

  it('an approved request the RP polls and cancels at once: one poll gets the tokens and the cancel changes nothing, or none does', async () => {
    const { tenant, client } = await setup();
    for (let i = 0; i < 5; i++) {
      const label = `round ${i}`;
      const { auth_req_id } = await startRequest(tenant, client);
      await approve(tenant, auth_req_id);
      // The cancel and the polls are given a head start of a few milliseconds, in turn.
      const [cancelled, ...polls] = await Promise.all([
        after(i % 2 === 0 ? 3 : 0, () => cancelRequest(tenant, client, auth_req_id)),
        ...Array.from({ length: 20 }, (_, k) => after((i % 2 === 0 ? 0 : 3) + (k % 5), () => poll(tenant, client, auth_req_id))),
      ]);
      await expectCancelAnswered(cancelled);
      const tokens = await tokensAmong(polls, label);
      expect(tokens.length, label).toBeLessThanOrEqual(1);
      await expectOneOutcome(tenant, client, auth_req_id, tokens.length, label);
    }
  }, 30_000);

  it('a held long poll wakes to exactly one outcome: the tokens, or invalid_grant', async () => {
    const { tenant, client } = await setup({}, { backchannel_long_poll_wait: 10 });
    for (let i = 0; i < 4; i++) {
      const label = `round ${i}`;
      const { auth_req_id } = await startRequest(tenant, client);
      const token = await callbackTokenFor(tenant, auth_req_id);
      const held = poll(tenant, client, auth_req_id);
      await sleep(200);
      const started = Date.now();
      // Either side is given a head start of a few milliseconds, in turn.
      const [decided, cancelled] = await Promise.all([
        after(i % 2 === 1 ? i : 0, () => callback(tenant, token, { status: 'approved', authentication_method: 'smart-id' })),
        after(i % 2 === 0 ? i : 0, () => cancelRequest(tenant, client, auth_req_id)),
      ]);
      await expectCancelAnswered(cancelled);
      expect([204, 410], label).toContain(decided.status);
      const answer = await held;
      // Woken by the decision or the cancel, not by the end of its 10 s wait.
      expect(Date.now() - started, label).toBeLessThan(5000);
      const body = (await answer.json()) as Record<string, unknown>;
      const { outcome } = await expectOneOutcome(tenant, client, auth_req_id, answer.status === 200 ? 1 : 0, label);
      expect({ status: answer.status, error: body.error, token_type: body.token_type }, label).toEqual(
        outcome === 'redeemed'
          ? { status: 200, error: undefined, token_type: 'Bearer' }
          : { status: 400, error: 'invalid_grant', token_type: undefined },
      );
    }
  }, 30_000);

  it('a push client: the tokens are pushed exactly once, or the request is cancelled and nothing is pushed', async () => {
    const box = newBox();
    const { tenant, client } = await notifiedSetup('push', box);
    // The cancel comes from 0 to 100 ms after the approval: before the push is due, while its tokens
    // are being minted, or once they are out.
    for (const delayMs of [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 25, 30, 40, 55, 75, 100]) {
      const label = `cancel ${delayMs} ms after the approval`;
      const res = await backchannel(tenant, client, { scope: 'openid', login_hint: 'alice@example.com', client_notification_token: 'push-race-token' });
      expect(res.status, label).toBe(200);
      const { auth_req_id } = (await res.json()) as { auth_req_id: string };
      const token = await callbackTokenFor(tenant, auth_req_id);
      const [decided, cancelled] = await Promise.all([
        callback(tenant, token, { status: 'approved', authentication_method: 'smart-id' }),
        after(delayMs, () => cancelRequest(tenant, client, auth_req_id)),
      ]);
      await expectCancelAnswered(cancelled);
      expect([204, 410], label).toContain(decided.status);
      // Settled once cancelled or pushed; then a moment more for a push that should not come.
      for (let waited = 0; waited < 5000; waited += 50) {
        const { events } = await timelineOf(tenant, auth_req_id);
        if (events.some((e) => e.event === 'cancelled' || e.event === 'delivery_attempted')) break;
        await sleep(50);
      }
      await sleep(300);
      const pushes = (await received(box))
        .map((r) => JSON.parse(r.body) as Record<string, unknown>)
        .filter((b) => b.auth_req_id === auth_req_id);
      const { status, events } = await timelineOf(tenant, auth_req_id);
      const names = events.map((e) => e.event);
      const minted = names.filter((e) => e === 'tokens_issued').length;
      const cancels = names.filter((e) => e === 'cancelled').length;
      expect({ minted, cancels, status }, `${label}: ${names.join(' ')}`).toEqual(
        minted === 1 ? { minted: 1, cancels: 0, status: 'redeemed' } : { minted: 0, cancels: 1, status: 'cancelled' },
      );
      expect(pushes, `${label}: ${names.join(' ')}`).toHaveLength(minted);
      if (minted === 1) expect(pushes[0], label).toMatchObject({ access_token: expect.any(String), id_token: expect.any(String) });
    }
  }, 60_000);
});
