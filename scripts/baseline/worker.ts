// The floor the server is measured against (scripts/bench.ts): the least a Worker can do for each
// hot path. POST /new/{id}: one call creating a Durable Object's state (the backchannel request's
// floor); POST /poll/{id}: one call reading an existing object (the pending poll's floor); GET /bare:
// no call at all (discovery's floor). Answers are JSON of about the server's size.
import { DurableObject } from 'cloudflare:workers';

interface Env {
  OBJECTS: DurableObjectNamespace<Floor>;
}

export class Floor extends DurableObject<Env> {
  async touch(create: boolean): Promise<number> {
    if (create) this.ctx.storage.kv.put('state', Date.now());
    return this.ctx.storage.kv.get<number>('state') ?? 0;
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const [, op, id] = new URL(request.url).pathname.split('/');
    if (op === 'bare') return Response.json({ issuer: 'http://127.0.0.1/floor', ok: true });
    if ((op !== 'new' && op !== 'poll') || !id) return Response.json({ error: 'invalid_request' }, { status: 404 });
    const at = await env.OBJECTS.get(env.OBJECTS.idFromName(id)).touch(op === 'new');
    return op === 'new'
      ? Response.json({ auth_req_id: id, expires_in: 300, interval: 5, at })
      : Response.json({ error: 'authorization_pending', error_description: 'The user has not answered yet' }, { status: 400 });
  },
} satisfies ExportedHandler<Env>;
