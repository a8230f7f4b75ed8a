// Two test projects: `workers` runs inside workerd with the real bindings (KV, Durable Objects);
// `e2e` runs in Node and drives `wrangler dev` over real HTTP with openid-client.
import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: {
                ENVIRONMENT: 'test',
                ADMIN_TOKEN: 'test-admin-token',
                KEY_ENCRYPTION_SECRET: 'test-key-encryption-secret',
              },
            },
          }),
        ],
        test: {
          name: 'workers',
          include: ['test/{unit,durable-objects,routes}/**/*.test.ts'],
          // A real HTTP receiver in Node for webhooks and notification endpoints (test/receiver).
          globalSetup: ['test/receiver/global-setup.ts'],
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
