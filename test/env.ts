// Types for `env` and `exports` from cloudflare:workers inside the tests.
import type { Env as Bindings } from '../src/env.ts';

declare global {
  namespace Cloudflare {
    interface Env extends Bindings {}
    interface GlobalProps {
      mainModule: typeof import('../src/index.ts');
      durableNamespaces: 'AuthRequest' | 'DeviceInbox' | 'ReplayGuard' | 'TokenGrant' | 'TenantSweeper' | 'UserGuard';
    }
  }
}

declare module 'vitest' {
  /** What the global setup (test/receiver/global-setup.ts) hands the tests. */
  export interface ProvidedContext {
    receiverOrigin: string;
  }
}
