// Per-isolate caching of KV records on the hot paths (issue 13): a pending poll and a backchannel
// request would otherwise read the tenant, the client and the key set from KV every time. A record
// read here is reused for ISOLATE_CACHE_TTL_MS; a write through this isolate forgets it at once, and
// other isolates see a change within that bound (on top of KV's own propagation, about 60 s).
// docs/operations.md says what that costs a rotated secret, a rotated key or a deleted tenant.

/** How long an isolate trusts a record it read. */
export const ISOLATE_CACHE_TTL_MS = 10_000;
/** Records an isolate keeps at most; the oldest go first. */
const MAX_ENTRIES = 5_000;

const entries = new Map<string, { value: unknown; until: number }>();

/** The JSON record at `key`, from this isolate's cache while fresh, else from KV (misses are not kept). */
export async function cachedJson<T>(kv: KVNamespace, key: string): Promise<T | undefined> {
  const now = Date.now();
  const hit = entries.get(key);
  if (hit && hit.until > now) return hit.value as T;
  const value = await kv.get<T>(key, 'json');
  entries.delete(key);
  if (value === null) return undefined;
  if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value!);
  entries.set(key, { value, until: now + ISOLATE_CACHE_TTL_MS });
  return value;
}

/** Forgets a record this isolate just wrote or deleted. */
export function forgetCached(key: string): void {
  entries.delete(key);
}
