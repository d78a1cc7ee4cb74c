import { createHash } from 'node:crypto';
import { badRequest } from '../errors.js';
import { sendJson } from '../http-util.js';
import type { RouteContext } from '../router.js';
import { filterModels, listModels, type ModelQuery } from '../web/models.js';

/** Most rows one GET /api/models answers. */
const MAX_LIMIT = 10_000;

/** The shared query of GET /api/models and the list page, from URL parameters (Hub names where the Hub has them). */
export function modelQuery(q: URLSearchParams): ModelQuery {
  const sort = q.get('sort') ?? 'lastModified';
  if (sort !== 'lastModified' && sort !== 'createdAt' && sort !== 'id')
    throw badRequest(`sort must be lastModified, createdAt or id, not '${sort}'`);
  const direction = q.get('direction');
  const pick = (k: string): string | undefined => q.get(k) || undefined;
  return {
    search: pick('search'),
    author: pick('author'),
    family: pick('family'),
    activation: pick('activation'),
    params: pick('params'),
    sort,
    // names read A to Z by default, dates newest first
    direction: direction === '1' || (direction === null && sort === 'id') ? 1 : -1,
  };
}

/**
 * GET /api/models: the repos the caller may read, as the Hub lists them (`search`, `author`, `sort`,
 * `direction`, `limit`; `cardData=true` or `full=true` adds the card's front matter).
 */
export async function listModelsApi(c: RouteContext): Promise<void> {
  const query = modelQuery(c.query);
  const limitText = c.query.get('limit');
  const limit = limitText === null ? MAX_LIMIT : Number(limitText);
  if (!Number.isSafeInteger(limit) || limit < 1) throw badRequest('limit must be a positive whole number');
  const withCard = c.query.get('cardData') === 'true' || c.query.get('full') === 'true';
  const rows = filterModels(await listModels(c.hub, c.who), query).slice(0, Math.min(limit, MAX_LIMIT));
  sendJson(
    c.res,
    200,
    rows.map((r) => ({
      _id: createHash('sha1').update(r.id).digest('hex').slice(0, 24),
      id: r.id,
      modelId: r.id,
      author: r.author,
      sha: r.sha,
      lastModified: r.lastModified,
      createdAt: r.createdAt,
      private: r.private,
      downloads: 0,
      likes: 0,
      tags: r.tags,
      pipeline_tag: r.pipelineTag,
      library_name: r.libraryName,
      ...(withCard && { cardData: r.cardData ?? undefined }),
    })),
  );
}
