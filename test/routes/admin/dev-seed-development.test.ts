// Admin API: POST /admin/dev/seed in development (contract §7): the demo tenant, idempotently, ready for
// the flow. Its own file, so the demo tenant it writes stays out of dev-seed.test.ts (storage is per file).
import { env } from 'cloudflare:workers';
import { createExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { app } from '../../../src/app.ts';
import { ADMIN_TOKEN, approve, poll, startRequest, type TestClient } from '../../helpers/api.ts';
import { getTenant } from '../../../src/tenants/store.ts';
import { expectOAuthError } from '../../helpers/oauth.ts';

const development = { ...env, ENVIRONMENT: 'development' };

function seed(bindings = development) {
  const req = new Request('http://localhost:8787/admin/dev/seed', {
    method: 'POST',
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  return app.fetch(req, bindings, createExecutionContext());
}

describe('the development seed', () => {
  it('creates the demo tenant, client and user once, and the poll flow works with them', async () => {
    const first = await seed();
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ created: ['tenant demo', 'client demo-rp', 'client demo-rp-live', 'user alice'] });
    const again = await seed();
    expect(await again.json()).toEqual({ created: [] });

    const demo: TestClient = { client_id: 'demo-rp', client_secret: 'demo-secret' };
    const { auth_req_id } = await startRequest('demo', demo);
    await approve('demo', auth_req_id);
    expect((await poll('demo', demo, auth_req_id)).status).toBe(200);

    // demo-rp-live long-polls: its poll is held until alice answers.
    const live: TestClient = { client_id: 'demo-rp-live', client_secret: 'demo-secret' };
    const held = await startRequest('demo', live);
    const tokens = poll('demo', live, held.auth_req_id);
    await approve('demo', held.auth_req_id);
    expect((await tokens).status).toBe(200);
  });

  it('brings a demo tenant of an older version up to date: its device page on, its incarnation kept', async () => {
    const bindings = development;
    const put = new Request('http://localhost:8787/admin/tenants/demo', {
      method: 'PUT',
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({}),
    });
    await app.fetch(put, bindings, createExecutionContext());
    const before = (await getTenant(env, 'demo', { fresh: true }))!;
    expect(before.settings.device_page).toBe(false);
    expect(((await (await seed()).json()) as { created: string[] }).created).toContain('tenant demo');
    const after = (await getTenant(env, 'demo', { fresh: true }))!;
    expect(after.settings.device_page).toBe(true);
    expect(after.incarnation).toBe(before.incarnation);
  });

  it('says so when the local state was made with another key-encryption secret', async () => {
    await seed();
    const res = await seed({ ...development, KEY_ENCRYPTION_SECRET: 'a different secret' });
    const body = await expectOAuthError(res, 500, 'server_error');
    expect(body.error_description).toContain('.wrangler/state');
  });
});
