// An isolated `wrangler dev` for the end-to-end tests (test/e2e) and the benchmark (scripts/bench.ts):
// its own free loopback port, its own persistence directory and its own secrets, passed with
// `--env-file`, which makes wrangler skip any `.dev.vars` a developer has in the repo (see
// startWrangler). Plain Node, no test framework: scripts/bench.ts runs this file with Node's type
// stripping, so it uses only erasable TypeScript syntax and `.ts` import paths.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const ADMIN_TOKEN = 'e2e-admin-token';
const KEY_ENCRYPTION_SECRET = 'e2e-key-encryption-secret';
const STARTUP_DEADLINE_MS = 90_000;

export interface Server {
  origin: string;
  /** The wrangler process's id, which is also its process group's id (workerd runs in that group). */
  pid: number;
  stop(): Promise<void>;
}

/** A TCP port the OS reports free on the loopback interface. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Kills the child's whole process group (wrangler and its workerd), politely then firmly. */
async function killGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
  signal('SIGKILL'); // workerd may outlive wrangler by a moment
}

/**
 * Starts `wrangler dev` on a free loopback port with a fresh persistence directory. The secrets go in
 * a temporary env file passed with `--env-file`: wrangler then reads that file *instead of*
 * `.dev.vars` (it only looks for `.dev.vars` when no `--env-file` is given), so a developer's
 * `.dev.vars` neither leaks in nor is needed. Variables that would make wrangler merge the process
 * environment in, or skip env files, are removed from the child's environment.
 *
 * `stop()` kills the process group and deletes the directory; it is safe to call more than once. If
 * the caller's process exits without calling it, the group is killed on the way out (the directory
 * then stays behind in the OS temp directory).
 */
export async function startWrangler(
  /** Another Worker to serve (the bench's baseline), and the path that answers 200 once it is up. */
  other?: { config: string; readyPath: string },
  /** Where the temporary directory (state, env file) goes; the OS temp directory by default. */
  options: { parentDir?: string } = {},
): Promise<Server> {
  const dir = await mkdtemp(join(options.parentDir ?? tmpdir(), 'ciba-e2e-'));
  const envFile = join(dir, 'e2e.env');
  await writeFile(
    envFile,
    `ENVIRONMENT=development\nADMIN_TOKEN=${ADMIN_TOKEN}\nKEY_ENCRYPTION_SECRET=${KEY_ENCRYPTION_SECRET}\n`,
  );
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // The pinned Node first: wrangler's launcher is `#!/usr/bin/env node` and refuses Node < 22.
    PATH: [join(ROOT, 'node_modules', '.bin'), dirname(process.execPath), process.env.PATH].join(delimiter),
    WRANGLER_SEND_METRICS: 'false',
    CLOUDFLARE_CF_FETCH_ENABLED: 'false', // no network round trip for the Request.cf placeholder
    NO_COLOR: '1',
  };
  delete env.CLOUDFLARE_INCLUDE_PROCESS_ENV;
  delete env.CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV;
  delete env.CLOUDFLARE_ENV;

  const wrangler = join(ROOT, 'node_modules', '.bin', 'wrangler');
  const args = ['dev', '--port', String(port), '--ip', '127.0.0.1', '--persist-to', join(dir, 'state'),
    '--env-file', envFile, '--show-interactive-dev-session=false', ...(other ? ['--config', other.config] : [])];
  const child = spawn(wrangler, args, { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const onExit = () => {
    if (child.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  process.once('exit', onExit);

  const stop = async () => {
    process.off('exit', onExit);
    await killGroup(child);
    await rm(dir, { recursive: true, force: true });
  };

  // Ready when the admin API answers with our token: that also proves the env file, not .dev.vars,
  // supplied the secrets (a foreign ADMIN_TOKEN would answer 401).
  const deadline = Date.now() + STARTUP_DEADLINE_MS;
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`wrangler dev exited (${child.exitCode ?? child.signalCode}) before answering`);
      }
      if (Date.now() > deadline) throw new Error(`wrangler dev did not answer within ${STARTUP_DEADLINE_MS} ms`);
      const res = await fetch(`${origin}${other ? other.readyPath : '/admin/tenants/e2e-probe'}`, {
        headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
        signal: AbortSignal.timeout(5_000),
      }).catch(() => undefined);
      if (res) {
        await res.body?.cancel();
        if (res.status === (other ? 200 : 404)) return { origin, pid: child.pid!, stop };
        throw new Error(`wrangler dev answered the readiness probe with ${res.status}, expected 404`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n--- wrangler output ---\n${output}`);
  }
}
