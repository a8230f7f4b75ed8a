// Standard Webhooks signatures (src/lib/webhook-signature.ts signs with WebCrypto's HMAC): checked
// against the specification's published example and against the `standardwebhooks` package, an
// independent implementation, so a change that broke the scheme would fail here.
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { signWebhook } from '../../src/lib/webhook-signature.ts';

// The example of the Standard Webhooks specification (standard-webhooks/standard-webhooks, spec).
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const MSG_ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const TIMESTAMP = 1614265330;
const PAYLOAD = '{"test": 2432232314}';
const SIGNATURE = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';

describe('Standard Webhooks signatures', () => {
  it('reproduce the specification’s example', async () => {
    expect(await signWebhook(SECRET, MSG_ID, TIMESTAMP, PAYLOAD)).toBe(SIGNATURE);
  });

  it('agree with the standardwebhooks package, which verifies them', async () => {
    const now = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ type: 'ciba.authentication_requested', data: { request_id: 'r', binding_message: 'Ünïcödé €' } });
    const signature = await signWebhook(SECRET, 'msg_1', now, body);
    expect(signature).toBe(new Webhook(SECRET).sign('msg_1', new Date(now * 1000), body));
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(now), 'webhook-signature': signature };
    expect(new Webhook(SECRET).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(SECRET).verify(`${body} `, headers)).toThrow();
  });
});
