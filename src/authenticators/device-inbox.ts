// The built-in authenticator's device inbox: one Durable Object per (tenant, user) holding the
// user's pending requests, so the device page reads them with strong consistency at any location.
import { DurableObject } from 'cloudflare:workers';
import { namespaceOf, type Env } from '../env.ts';
import { placed, type TenantPlace, type TenantRef } from '../tenants/ref.ts';
import { alarmNoLaterThan, sweepExpired } from '../lib/expiring.ts';
import { consentFromFlat, type Consent, type FlatConsent } from '../consent.ts';

export interface InboxEntry {
  requestId: string;
  clientId: string;
  clientName: string;
  /** What the page shows the user, with its display hash (docs/protocol.md §8), which an approval echoes. */
  consent: Consent;
  /** Epoch milliseconds. */
  createdAt: number;
  expiresAt: number;
  /** The bearer token the device page presents to the callback on the user's behalf. */
  callbackToken: string;
}

/** An entry as stored before its consent was named (docs/storage.md): the consent's members flat. */
type StoredEntry = InboxEntry | (Omit<InboxEntry, 'consent'> & FlatConsent);

/** Reads a stored entry of either shape as the current one. */
function upgradeEntry(stored: StoredEntry | undefined): InboxEntry | undefined {
  if (stored === undefined || 'consent' in stored) return stored;
  const { rest, consent } = consentFromFlat(stored);
  return { ...rest, consent };
}

const PREFIX = 'entry:';

/** The storage key of a request's entry in a DeviceInbox (docs/storage.md). */
export const inboxEntryKey = (requestId: string) => PREFIX + requestId;

export class DeviceInbox extends DurableObject<Env> {
  /** Adds a pending request and makes sure an alarm will sweep it after it expires. */
  async add(entry: InboxEntry): Promise<void> {
    this.ctx.storage.kv.put(inboxEntryKey(entry.requestId), entry);
    await alarmNoLaterThan(this.ctx.storage, entry.expiresAt);
    this.#changed();
  }

  /**
   * The device page's live connection (issue 12): a WebSocket accepted with the hibernation API, so
   * an open page costs nothing while nothing happens. The inbox only ever says `changed`; the page
   * then fetches its list again over its own authenticated request.
   */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('Upgrade') !== 'websocket') return new Response(null, { status: 426 });
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  /** The page sends nothing that needs an answer. */
  override async webSocketMessage(): Promise<void> {}

  /** Tells every open page that the list changed. */
  #changed(): void {
    for (const socket of this.ctx.getWebSockets()) {
      try {
        socket.send('changed');
      } catch {
        // A socket closing meanwhile: its page falls back to fetching.
      }
    }
  }

  /** The entries still pending at `now`, oldest first. */
  async list(): Promise<Omit<InboxEntry, 'callbackToken'>[]> {
    const now = Date.now();
    return this.#entries()
      .filter((e) => e.expiresAt > now)
      .sort((a, b) => a.createdAt - b.createdAt)
      .map(({ callbackToken: _secret, ...entry }) => entry);
  }

  /** A pending entry, with its callback token, while it has not expired. */
  async get(requestId: string): Promise<InboxEntry | undefined> {
    const entry = upgradeEntry(this.ctx.storage.kv.get<StoredEntry>(inboxEntryKey(requestId)));
    return entry && entry.expiresAt > Date.now() ? entry : undefined;
  }

  /** Drops an entry once it is answered, or when its request could not be stored. */
  async remove(requestId: string): Promise<void> {
    if (this.ctx.storage.kv.delete(inboxEntryKey(requestId))) this.#changed();
  }

  /** Forgets every entry: the user is gone. */
  async clear(): Promise<void> {
    await this.ctx.storage.deleteAll();
    this.#changed();
  }

  override async alarm(): Promise<void> {
    await sweepExpired<InboxEntry>(this.ctx.storage, PREFIX, (entry) => entry.expiresAt);
    this.#changed();
  }

  #entries(): InboxEntry[] {
    return [...this.ctx.storage.kv.list<StoredEntry>({ prefix: PREFIX })].map(([, e]) => upgradeEntry(e)!);
  }
}

/** The user's inbox in this incarnation of the tenant: a re-created tenant's users start empty. */
export function deviceInboxStub(env: Env, tenant: TenantRef & TenantPlace, sub: string) {
  const namespace = placed(env.ENVIRONMENT, namespaceOf<DeviceInbox>(env.DEVICE_INBOXES), tenant);
  return namespace.get(namespace.idFromName(`${tenant.id}/${tenant.incarnation}/${sub}`));
}
