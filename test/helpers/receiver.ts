// Scripting the real HTTP receiver (test/receiver/server.ts) from inside workerd, and registering
// tenants and clients that point at it. Loopback http URLs are accepted only in development, so
// those registrations go through the app with ENVIRONMENT=development (as `npm run dev` runs it).
import { env } from 'cloudflare:workers';
import { createExecutionContext } from 'cloudflare:test';
import { expect, inject } from 'vitest';
import { app } from '../../src/app.ts';
import type { Received, ScriptedAnswer } from '../receiver/server.ts';
import { ADMIN_TOKEN, GENEROUS_LIMITS, ORIGIN, createUser, uniqueTenantId, type TestClient } from './api.ts';

export type { Received, ScriptedAnswer };

let boxes = 0;
/** A fresh mailbox name on the receiver, unique across test files. */
export const newBox = () => `b${Date.now().toString(36)}${(boxes++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;

export const boxUrl = (box: string) => `${inject('receiverOrigin')}/${box}`;

/** Sets the answers the box gives, in order; the last one repeats. */
export async function script(box: string, answers: ScriptedAnswer[]): Promise<void> {
  const res = await fetch(`${inject('receiverOrigin')}/_script/${box}`, { method: 'PUT', body: JSON.stringify(answers) });
  expect(res.status).toBe(204);
}

/** Everything the box has received so far. */
export async function received(box: string): Promise<Received[]> {
  return (await (await fetch(`${inject('receiverOrigin')}/_log/${box}`)).json()) as Received[];
}

/** Waits until the box has received `count` requests (or `timeoutMs` passes), and returns them. */
export async function waitForReceived(box: string, count: number, timeoutMs = 10_000): Promise<Received[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const log = await received(box);
    if (log.length >= count || Date.now() > deadline) return log;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** An admin call as `npm run dev` would take it: loopback http URLs are allowed. */
export function adminInDevelopment(path: string, method: string, body?: unknown): Promise<Response> {
  const req = new Request(`${ORIGIN}/admin${path}`, {
    method,
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return Promise.resolve(app.fetch(req, { ...env, ENVIRONMENT: 'development' }, createExecutionContext()));
}

export const WEBHOOK_SECRET = `whsec_${btoa('a test webhook secret 32 bytes!!')}`;

/** A tenant whose authenticator is the webhook at `box` on the receiver. */
export async function webhookTenant(box: string, settings: Record<string, unknown> = {}): Promise<string> {
  const id = uniqueTenantId('wh');
  const res = await adminInDevelopment(`/tenants/${id}`, 'PUT', {
    authenticator: { type: 'webhook', url: boxUrl(box), secret: WEBHOOK_SECRET },
    ...GENEROUS_LIMITS,
    ...settings,
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return id;
}

/** A client of `tenant`, registered in development so its notification endpoint may be on the receiver. */
export async function clientInDevelopment(tenant: string, metadata: Record<string, unknown>): Promise<TestClient> {
  const res = await adminInDevelopment(`/tenants/${tenant}/clients`, 'POST', { client_name: 'Test Bank', ...metadata });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as TestClient;
}

/** A built-in tenant with alice and a ping or push client whose endpoint is the box. */
export async function notifiedSetup(mode: 'ping' | 'push', box: string) {
  const res = await adminInDevelopment(`/tenants/${uniqueTenantId(mode)}`, 'PUT', GENEROUS_LIMITS);
  const tenant = ((await res.json()) as { tenant: string }).tenant;
  await createUser(tenant);
  const client = await clientInDevelopment(tenant, {
    backchannel_token_delivery_mode: mode,
    backchannel_client_notification_endpoint: boxUrl(box),
  });
  return { tenant, client };
}
