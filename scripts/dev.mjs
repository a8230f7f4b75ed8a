// `npm run dev`: creates .dev.vars on first run, starts `wrangler dev` on :8787 and seeds the demo
// tenant (contract §7) through the development-only admin seed, idempotently, once it answers.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const varsPath = join(root, '.dev.vars');
const port = process.env.PORT ?? '8787';

if (!existsSync(varsPath)) {
  const secret = () => randomBytes(32).toString('base64url');
  writeFileSync(
    varsPath,
    [
      '# Created by `npm run dev`; local development only. Never commit this file.',
      'ENVIRONMENT=development',
      `ADMIN_TOKEN=${secret()}`,
      `KEY_ENCRYPTION_SECRET=${secret()}`,
      '',
    ].join('\n'),
  );
  console.log('[dev] created .dev.vars with a fresh ADMIN_TOKEN and KEY_ENCRYPTION_SECRET');
}
const vars = Object.fromEntries(
  readFileSync(varsPath, 'utf8')
    .split('\n')
    .filter((line) => /^[A-Z_]+=/.test(line))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
);

const wrangler = join(root, 'node_modules', '.bin', 'wrangler');
const child = spawn(wrangler, ['dev', '--port', port, '--ip', '127.0.0.1', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

const origin = `http://127.0.0.1:${port}`;
for (let attempt = 0; attempt < 240; attempt++) {
  await new Promise((r) => setTimeout(r, 500));
  try {
    const res = await fetch(`${origin}/admin/dev/seed`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${vars.ADMIN_TOKEN}` },
    });
    const body = await res.json();
    if (!res.ok) {
      console.error(`[dev] seeding the demo tenant failed: ${res.status} ${JSON.stringify(body)}`);
      break;
    }
    const made = body.created.length ? `created ${body.created.join(', ')}` : 'already there';
    console.log(`[dev] demo tenant ready (${made}): issuer http://localhost:${port}/demo/as`);
    console.log(`[dev] device page: http://localhost:${port}/demo/device?login_hint=alice@example.com`);
    break;
  } catch {
    // wrangler is still starting
  }
}
