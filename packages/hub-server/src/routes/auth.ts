import { sendJson } from '../http-util.js';
import type { RouteContext } from '../router.js';
import type { TokenInfo } from '../tokens.js';

/** GET /api/whoami-v2: the token's user, orgs and role (JS reads auth.accessToken.createdAt, so it is always there). */
export function whoami(c: RouteContext): void {
  const w = c.who as TokenInfo;
  sendJson(c.res, 200, {
    type: 'user',
    id: w.user,
    name: w.user,
    fullname: w.user,
    isPro: false,
    orgs: w.orgs.map((o) => ({
      type: 'org',
      name: o,
      fullname: o,
      roleInOrg: w.role === 'write' ? 'write' : 'read',
    })),
    auth: {
      type: 'access_token',
      accessToken: { displayName: `${w.user}-${w.role}`, role: w.role, createdAt: '2024-01-01T00:00:00.000Z' },
    },
  });
}
