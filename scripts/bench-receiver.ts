// The bank's system for `npm run bench` (scripts/bench.ts): the webhook authenticator's other end, a
// minimal HTTP server on 127.0.0.1 run as a child process of the bench, so its CPU is accounted apart
// from the load generator's. It verifies each Standard Webhooks signature (HMAC-SHA256 keyed with
// the whsec_ secret in BENCH_WEBHOOK_SECRET, over `{webhook-id}.{webhook-timestamp}.{body}`, and a
// timestamp within 5 minutes), then answers a `ciba.authentication_requested` at once with
// `{"sub": ...}`, the user its login_hint names (`load-3@bench.example` → `load-3`), and any other
// event with 204. A bad signature or an unexpected body is answered 401 or 400 and counted.
//
// Over the IPC channel: it sends `{ port }` once it listens, and answers `{ type: 'stats' }` with its
// counts. It exits when the bench disconnects (also when the bench dies) or on SIGTERM.
//
// Plain Node with erasable TypeScript only, like the bench.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceiverStats {
  type: 'stats';
  /** `ciba.authentication_requested` events verified and answered with a sub. */
  requested: number;
  /** Other verified events (`ciba.authentication_cancelled`), answered 204. */
  other: number;
  /** Requests refused: a missing or wrong signature, a stale timestamp, or a body without a login_hint. */
  refused: number;
  /** The first few refusals' reasons. */
  reasons: string[];
}

const secret = process.env.BENCH_WEBHOOK_SECRET ?? '';
if (!secret.startsWith('whsec_') || !process.send) {
  console.error('bench-receiver: run by scripts/bench.ts, with BENCH_WEBHOOK_SECRET=whsec_... and an IPC channel');
  process.exit(2);
}
const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
const stats: ReceiverStats = { type: 'stats', requested: 0, other: 0, refused: 0, reasons: [] };

/** Why the request fails verification, or undefined when it is a valid signed webhook. */
function unverified(headers: Record<string, string | string[] | undefined>, body: string): string | undefined {
  const [id, timestamp, signatures] = ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((h) => headers[h]);
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') return 'missing webhook headers';
  if (!/^\d+$/.test(timestamp) || Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return 'stale timestamp';
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  // The header may carry several space-separated `v1,{base64}` signatures; one must match.
  const ok = signatures.split(' ').some((s) => {
    const [version, value] = s.split(',');
    if (version !== 'v1' || !value) return false;
    const given = Buffer.from(value, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  return ok ? undefined : 'bad signature';
}

function refuse(res: ServerResponse, status: number, reason: string): void {
  stats.refused++;
  if (stats.reasons.length < 5) stats.reasons.push(reason);
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: reason }));
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const why = unverified(req.headers, body);
    if (why) return refuse(res, 401, why);
    let event: { type?: unknown; data?: { login_hint?: unknown } };
    try {
      event = JSON.parse(body) as typeof event;
    } catch {
      return refuse(res, 400, 'body is not JSON');
    }
    if (event.type !== 'ciba.authentication_requested') {
      stats.other++;
      res.writeHead(204).end();
      return;
    }
    const hint = event.data?.login_hint;
    if (typeof hint !== 'string' || !hint.includes('@')) return refuse(res, 400, `no usable login_hint: ${String(hint)}`);
    stats.requested++;
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ sub: hint.slice(0, hint.indexOf('@')) }));
  });
});

server.listen(0, '127.0.0.1', () => {
  process.send!({ port: (server.address() as AddressInfo).port });
});
process.on('message', (message: { type?: string }) => {
  if (message?.type === 'stats') process.send!(stats);
});
// Gone with the bench, however it ends.
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
