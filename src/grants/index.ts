// The grant registry: adding a grant type is one file and one line here.
import type { Grant } from './grant.ts';
import { cibaGrant } from './ciba.ts';

const grants: readonly Grant[] = [cibaGrant];

export const grantsByType: ReadonlyMap<string, Grant> = new Map(grants.map((g) => [g.grantType, g]));
