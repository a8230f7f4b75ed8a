// The Worker's bindings (wrangler.toml), and nothing above them: each Durable Object namespace is
// typed where its class lives, by the function that hands out its stubs (docs/architecture.md).

export interface Env {
  CONFIG: KVNamespace;
  AUTH_REQUESTS: DurableObjectNamespace;
  DEVICE_INBOXES: DurableObjectNamespace;
  REPLAY_GUARDS: DurableObjectNamespace;
  TOKEN_GRANTS: DurableObjectNamespace;
  TENANT_SWEEPERS: DurableObjectNamespace;
  USER_GUARDS: DurableObjectNamespace;
  ADMIN_TOKEN?: string;
  KEY_ENCRYPTION_SECRET?: string;
  /** Set only while rotating KEY_ENCRYPTION_SECRET: the old value, still able to open what it sealed. */
  KEY_ENCRYPTION_SECRET_PREVIOUS?: string;
  ENVIRONMENT?: string;
  PUBLIC_ORIGIN?: string;
  /** `rfc9440`: a proxy in front sets (and strips) the `Client-Cert` header; never set otherwise (docs/operations.md, Mutual TLS). */
  CLIENT_CERT_HEADER?: string;
}

export const isDevelopment = (env: Env) => env.ENVIRONMENT === 'development';

/**
 * A namespace binding typed by the Durable Object class it holds. The stub functions beside each
 * class call it, so this file names no class and every layer may import it.
 */
export const namespaceOf = <T extends Rpc.DurableObjectBranded>(namespace: DurableObjectNamespace) =>
  namespace as unknown as DurableObjectNamespace<T>;
