// What names a tenant's records: its id and the incarnation they were written under. Every record
// of a tenant but the tenant record itself lives below tenantPrefix, so a tenant deleted and
// re-created under the same id starts from an empty prefix while the old one is swept
// (cascades/sweeper.ts, docs/storage.md).

export interface TenantRef {
  readonly id: string;
  readonly incarnation: string;
}

/** The KV prefix of every record of one incarnation of a tenant (ids and incarnations hold no colon). */
export const tenantPrefix = (tenant: TenantRef) => `tenant:${tenant.id}:${tenant.incarnation}:`;

/** docs/protocol.md §8: where a tenant's request data must stay (Durable Object jurisdictions). */
export const JURISDICTIONS = ['eu', 'fedramp'] as const;
export type Jurisdiction = (typeof JURISDICTIONS)[number];

/** What places a tenant's objects: its id names them, its jurisdiction (fixed at creation) holds them. */
export interface TenantPlace {
  readonly id: string;
  readonly settings: { readonly jurisdiction?: Jurisdiction | undefined };
}

/**
 * The namespace a tenant's data-holding objects (requests, grants, device inboxes) live in: the
 * tenant's jurisdiction's when it has one, so their storage never leaves it (docs/operations.md).
 * The local runtime (workerd, under `npm run dev` and the tests: ENVIRONMENT development or test)
 * has no jurisdictions and throws on them, so there every object lives in the plain namespace.
 */
export function placed<T extends Rpc.DurableObjectBranded | undefined>(
  environment: string | undefined,
  namespace: DurableObjectNamespace<T>,
  tenant: TenantPlace,
): DurableObjectNamespace<T> {
  const { jurisdiction } = tenant.settings;
  if (!jurisdiction || environment === 'development' || environment === 'test') return namespace;
  return namespace.jurisdiction(jurisdiction);
}
