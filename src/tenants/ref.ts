// What names a tenant's records: its id and the incarnation they were written under. Every record
// of a tenant but the tenant record itself lives below tenantPrefix, so a tenant deleted and
// re-created under the same id starts from an empty prefix while the old one is swept
// (tenants/sweeper.ts, docs/storage.md).

export interface TenantRef {
  readonly id: string;
  readonly incarnation: string;
}

/** The KV prefix of every record of one incarnation of a tenant (ids and incarnations hold no colon). */
export const tenantPrefix = (tenant: TenantRef) => `tenant:${tenant.id}:${tenant.incarnation}:`;
