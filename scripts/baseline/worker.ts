// The floor the server is measured against (scripts/bench.ts): the least a Worker can do for each
// hot path. POST /new/{id}: one call creating a Durable Object's state (the backchannel request's
// floor); POST /poll/{id}: one call reading an existing object (the pending poll's floor); GET /bare:
// no call at all (discovery's floor). POST /counted/{id}: a call counting the request in one of 8
// existing per-user objects, then one creating the request's object: the least a backchannel request
// costs that is stored in its own object and counted for its user with strong consistency (the
// push-bombing limits, contract §8). Answers are JSON of about the server's size.
import { DurableObject } from 'cloudflare:workers';

interface Env {
  OBJECTS: DurableObjectNamespace<Floor>;
}

export class Floor extends DurableObject<Env> {
  async count(): Promise<number> {
    const n = (this.ctx.storage.kv.get<number>('count') ?? 0) + 1;
    this.ctx.storage.kv.put('count', n);
    return n;
  }

  async touch(create: boolean): Promise<number> {
    if (create) this.ctx.storage.kv.put('state', Date.now());
    return this.ctx.storage.kv.get<number>('state') ?? 0;
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const [, op, id] = new URL(request.url).pathname.split('/');
    if (op === 'bare') return Response.json({ issuer: 'http://127.0.0.1/floor', ok: true });
    if ((op !== 'new' && op !== 'poll' && op !== 'counted') || !id) return Response.json({ error: 'invalid_request' }, { status: 404 });
    if (op === 'counted') await env.OBJECTS.get(env.OBJECTS.idFromName(`user-${id.charCodeAt(0) % 8}`)).count();
    const at = await env.OBJECTS.get(env.OBJECTS.idFromName(id)).touch(op !== 'poll');
    return op !== 'poll'
      ? Response.json({ auth_req_id: id, expires_in: 300, interval: 5, at })
      : Response.json({ error: 'authorization_pending', error_description: 'The user has not answered yet' }, { status: 400 });
  },
} satisfies ExportedHandler<Env>;
