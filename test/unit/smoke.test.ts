import { exports } from 'cloudflare:workers';
import { expect, it } from 'vitest';

it('answers unknown paths with an OAuth error', async () => {
  const res = await exports.default.fetch('http://example.com/nope');
  expect(res.status).toBe(404);
  expect(await res.json()).toEqual({ error: 'invalid_request', error_description: 'No such endpoint' });
});
