// The Worker's entry: the app's fetch handler and the Durable Object classes.
import { app } from './app.ts';

export { AuthRequest } from './ciba/auth-request.ts';
export { DeviceInbox } from './authenticators/device-inbox.ts';
export { ReplayGuard } from './replay/guard.ts';
export { TokenGrant } from './tokens/family.ts';
export { TenantSweeper } from './cascades/sweeper.ts';
export { UserGuard } from './users/user-guard.ts';

export default app satisfies ExportedHandler<import('./env.ts').Env>;
