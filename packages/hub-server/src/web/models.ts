import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { isMember } from '../auth.js';
import type { Hub } from '../hub.js';
import type { TokenInfo } from '../tokens.js';
import { isName } from '../tokens.js';

/** The registry facts a card's front matter carries under `cliphub:` (see buildModelCard). */
export interface CardFacts {
  architecture?: string;
  family?: string;
  activation?: string;
  params?: number;
}

/** One repo as the list page and GET /api/models see it. */
export interface ModelSummary {
  id: string;
  author: string;
  sha: string;
  lastModified: string;
  createdAt: string;
  private: boolean;
  tags: string[];
  pipelineTag?: string;
  libraryName?: string;
  cardData: Record<string, unknown> | null;
  facts: CardFacts;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/** Facts from a card's `cliphub:` mapping; a card without one (a hand-written Hub card) has none. */
export function cardFacts(cardData: Record<string, unknown> | null): CardFacts {
  const raw = cardData?.cliphub;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return {};
  const r = raw as Record<string, unknown>;
  const facts: CardFacts = {};
  const architecture = str(r.architecture);
  const family = str(r.family);
  const activation = str(r.activation);
  if (architecture) facts.architecture = architecture;
  if (family) facts.family = family;
  if (activation) facts.activation = activation;
  if (typeof r.params === 'number' && Number.isFinite(r.params) && r.params > 0) facts.params = r.params;
  return facts;
}

/**
 * Every repo the caller may read (public ones, and private ones of their namespaces), with the head of
 * `main` and the card's front matter (parsed once per README blob, in the card worker).
 */
export async function listModels(hub: Hub, who: TokenInfo | null): Promise<ModelSummary[]> {
  const { store, cards } = hub;
  const reposDir = path.join(store.root, 'repos');
  const namespaces = (await readdir(reposDir).catch(() => [] as string[])).filter(isName);
  const perNamespace = await Promise.all(
    namespaces.map(async (ns) => {
      const names = (await readdir(path.join(reposDir, ns)).catch(() => [] as string[])).filter(isName);
      const rows = await Promise.all(names.map((name) => summarize(hub, `${ns}/${name}`, who)));
      return rows.filter((r): r is ModelSummary => r !== null);
    }),
  );
  return perNamespace.flat();

  async function summarize(hub2: Hub, repo: string, caller: TokenInfo | null): Promise<ModelSummary | null> {
    const meta = await store.meta(repo);
    if (!meta || (meta.private && !isMember(caller, repo.split('/')[0] as string))) return null;
    let commit;
    try {
      commit = await store.resolve(repo, 'HEAD');
    } catch {
      return null; // a repo being deleted or without refs is not listed
    }
    const readme = commit.files.get('README.md');
    const cardData =
      readme && !readme.lfs ? (await cards.forFile(hub2.store.blobPath(repo, readme), readme.oid)).data : null;
    const tags = Array.isArray(cardData?.tags) ? cardData.tags.filter((t): t is string => typeof t === 'string') : [];
    return {
      id: repo,
      author: repo.split('/')[0] as string,
      sha: commit.id,
      lastModified: commit.date,
      createdAt: meta.createdAt,
      private: meta.private,
      tags,
      pipelineTag: str(cardData?.pipeline_tag),
      libraryName: str(cardData?.library_name),
      cardData,
      facts: cardFacts(cardData),
    };
  }
}

/** Filters the list page and the API share. */
export interface ModelQuery {
  search?: string;
  author?: string;
  family?: string;
  activation?: string;
  /** A params bucket name from PARAM_BUCKETS. */
  params?: string;
  sort?: 'lastModified' | 'createdAt' | 'id';
  /** -1 newest (or Z) first, the default; 1 the other way. */
  direction?: 1 | -1;
}

/** Parameter-count buckets for the list filter. */
export const PARAM_BUCKETS: ReadonlyArray<{ name: string; label: string; min: number; max: number }> = [
  { name: 'lt100m', label: '< 100M', min: 0, max: 100e6 },
  { name: '100m-500m', label: '100M–500M', min: 100e6, max: 500e6 },
  { name: '500m-1b', label: '500M–1B', min: 500e6, max: 1e9 },
  { name: 'gt1b', label: '> 1B', min: 1e9, max: Infinity },
];

/** The rows matching `q`, sorted. Search matches the repo id, case-insensitively, by substring. */
export function filterModels(rows: ModelSummary[], q: ModelQuery): ModelSummary[] {
  const search = q.search?.trim().toLowerCase();
  const bucket = q.params ? PARAM_BUCKETS.find((b) => b.name === q.params) : undefined;
  const out = rows.filter(
    (r) =>
      (!search || r.id.toLowerCase().includes(search)) &&
      (!q.author || r.author === q.author) &&
      (!q.family || r.facts.family === q.family) &&
      (!q.activation || r.facts.activation === q.activation) &&
      (!q.params ||
        (bucket !== undefined &&
          r.facts.params !== undefined &&
          r.facts.params >= bucket.min &&
          r.facts.params < bucket.max)),
  );
  const key = q.sort ?? 'lastModified';
  const dir = q.direction ?? -1;
  out.sort((a, b) => (a[key] < b[key] ? -dir : a[key] > b[key] ? dir : a.id < b.id ? -1 : 1));
  return out;
}
