// Admin API: POST /admin/dev/seed outside development (contract §7): 404, and 401 first without the admin
// token. The seed in development is in dev-seed-development.test.ts: it writes the demo tenant that this
// file asserts absent, and storage is per file.
import { describe, it } from 'vitest';
import { admin, call } from '../../helpers/api.ts';
import { expectOAuthError } from '../../helpers/oauth.ts';

describe('dev seed', () => {
  it('answers 404 outside development', async () => {
    await expectOAuthError(await admin('/dev/seed', 'POST'), 404, 'invalid_request');
    await expectOAuthError(await call('/demo/as/.well-known/openid-configuration'), 404, 'invalid_request');
  });

  it('still answers 401 first without the admin token', async () => {
    await expectOAuthError(await call('/admin/dev/seed', { method: 'POST' }), 401, 'invalid_token');
  });
});
