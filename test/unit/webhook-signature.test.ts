// Standard Webhooks signatures (the webhook authenticator signs with the `standardwebhooks`
// library): checked against the specification's published example and an independent WebCrypto
// HMAC, so a library change that broke the scheme would fail here.
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';

// The example of the Standard Webhooks specification (standard-webhooks/standard-webhooks, spec).
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const MSG_ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const TIMESTAMP = 1614265330;
const PAYLOAD = '{"test": 2432232314}';
const SIGNATURE = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';

async function webCryptoSignature(secret: string, id: string, timestamp: number, payload: string) {
  const keyBytes = Uint8Array.from(atob(secret.slice('whsec_'.length)), (c) => c.charCodeAt(0));
  const key = await crypto.subtle.importKey('raw', keyBytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${id}.${timestamp}.${payload}`)));
  let binary = '';
  for (const b of mac) binary += String.fromCharCode(b);
  return `v1,${btoa(binary)}`;
}

describe('Standard Webhooks signatures', () => {
  it('the library reproduces the specification’s example', () => {
    expect(new Webhook(SECRET).sign(MSG_ID, new Date(TIMESTAMP * 1000), PAYLOAD)).toBe(SIGNATURE);
  });

  it('an independent HMAC-SHA256 over id.timestamp.payload gives the same', async () => {
    expect(await webCryptoSignature(SECRET, MSG_ID, TIMESTAMP, PAYLOAD)).toBe(SIGNATURE);
    const now = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ type: 'ciba.authentication_requested', data: { request_id: 'r' } });
    expect(new Webhook(SECRET).sign('msg_1', new Date(now * 1000), body)).toBe(await webCryptoSignature(SECRET, 'msg_1', now, body));
  });
});
