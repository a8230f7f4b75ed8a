// The Hono app class every route uses: Hono's base with TrieRouter alone. The default preset also
// bundles SmartRouter and RegExpRouter (which refuses this app's tenant wildcards and falls back to
// the trie anyway); PatternRouter and LinearRouter (hono/tiny, hono/quick) are smaller but match
// `/token/` as `/token`, and every path here is exact.
import type { Env, Schema } from 'hono';
import { HonoBase, type HonoOptions } from 'hono/hono-base';
import { TrieRouter } from 'hono/router/trie-router';

export class Hono<E extends Env = Env, S extends Schema = {}, B extends string = '/'> extends HonoBase<E, S, B> {
  constructor(options: HonoOptions<E> = {}) {
    super(options);
    this.router = new TrieRouter();
  }
}
