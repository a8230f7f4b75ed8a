// Durable Object storage entries that expire: the alarm is kept at the earliest expiry, and sweeps
// what has expired. The device inbox and the replay store both keep such entries.

/** Moves the object's alarm to `at` when it is unset or later. */
export async function alarmNoLaterThan(storage: DurableObjectStorage, at: number): Promise<void> {
  const alarm = await storage.getAlarm();
  if (alarm === null || alarm > at) await storage.setAlarm(at);
}

/** Deletes the entries under `prefix` whose expiry (`expiryOf`, epoch ms) has passed; re-arms for the earliest left. */
export async function sweepExpired<T>(storage: DurableObjectStorage, prefix: string, expiryOf: (value: T) => number): Promise<void> {
  const now = Date.now();
  let next: number | undefined;
  for (const [key, value] of storage.kv.list<T>({ prefix })) {
    const expiresAt = expiryOf(value);
    if (expiresAt <= now) storage.kv.delete(key);
    else next = Math.min(next ?? Infinity, expiresAt);
  }
  if (next !== undefined) await storage.setAlarm(next);
}
