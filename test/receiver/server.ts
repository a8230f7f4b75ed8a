// A real HTTP receiver for what the server sends out (webhooks, pings, pushes), run in Node by the
// tests' global setup. Tests script it over HTTP, so it works from inside workerd too:
//   PUT  /_script/{box}  [{status, body?, headers?, delayMs?, stallBodyMs?, drop?}, ...]  answers to play in order (the last repeats)
//   GET  /_log/{box}     every request {box} received: {method, headers, body, at}
//   any  /{box}[/...]    answered by the script (default 204), and logged; a body goes out chunked
//                        unless the script's `headers` give its Content-Length
// Plain Node with erasable TypeScript only, so the end-to-end tests can import it as well.
import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface ScriptedAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
  /**
   * Sends the status, the headers and the first half of the body at once (no Content-Length), then
   * holds the rest this long: an answer whose body does not end. `drop` then cuts it short.
   */
  stallBodyMs?: number;
  /**
   * Cuts the connection instead of answering (after `delayMs`): the caller sees a network error.
   * With `stallBodyMs`, the connection is cut after the stall, in the middle of the body.
   */
  drop?: boolean;
}

export interface Received {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

const readAll = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

/** Starts the receiver on a free loopback port; resolves with its origin and a stop function. */
export async function startReceiver(): Promise<{ origin: string; server: Server; stop(): Promise<void> }> {
  const scripts = new Map<string, ScriptedAnswer[]>();
  const logs = new Map<string, Received[]>();
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://receiver');
    const [first, second] = url.pathname.split('/').filter(Boolean);
    const body = await readAll(req);
    if (first === '_script' && second && req.method === 'PUT') {
      scripts.set(second, JSON.parse(body) as ScriptedAnswer[]);
      res.writeHead(204).end();
      return;
    }
    if (first === '_log' && second) {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(logs.get(second) ?? []));
      return;
    }
    const box = first ?? '';
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers[name] = value;
    const log = logs.get(box) ?? [];
    log.push({ method: req.method ?? '', path: url.pathname, headers, body, at: Date.now() });
    logs.set(box, log);
    const script = scripts.get(box) ?? [];
    const answer = (script.length > 1 ? script.shift() : script[0]) ?? { status: 204 };
    if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
    if (res.destroyed) return;
    if (answer.drop && answer.stallBodyMs === undefined) {
      req.socket.destroy();
      return;
    }
    const text = answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    const type = typeof answer.body === 'string' ? 'text/html' : 'application/json';
    const head = { ...(text ? { 'Content-Type': type } : {}), ...answer.headers };
    if (answer.stallBodyMs === undefined) {
      res.writeHead(answer.status, head).end(text);
      return;
    }
    const half = Math.floor(text.length / 2);
    res.writeHead(answer.status, head);
    res.write(text.slice(0, half));
    await new Promise((r) => setTimeout(r, answer.stallBodyMs));
    if (res.destroyed) return;
    if (answer.drop) req.socket.destroy();
    else res.end(text.slice(half));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('receiver did not start');
  return {
    origin: `http://127.0.0.1:${address.port}`,
    server,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
