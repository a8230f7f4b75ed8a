// The grant registry: adding a grant type is one file and one line here.
import type { Grant } from './grant.ts';
import { cibaGrant } from './ciba.ts';
import { refreshTokenGrant } from './refresh-token.ts';

const grants: readonly Grant[] = [cibaGrant, refreshTokenGrant];

export const grantsByType: ReadonlyMap<string, Grant> = new Map(grants.map((g) => [g.grantType, g]));
