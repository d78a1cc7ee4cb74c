import { catalog } from './catalog.js';
import { listPretrained, type ListOptions } from './list.js';
import { editDistance } from './suggest.js';

export interface SearchHit {
  /** `ARCH:TAG`, a bare architecture with no pretrained tag, or a user model name. */
  name: string;
  arch: string;
  tag: string | null;
  kind: 'pretrained' | 'architecture' | 'user';
  family: string;
  /** Lower is better: 0 exact, 1 prefix, 2 all words found, 3+ fuzzy. */
  score: number;
}

/**
 * Finds models by free text: every whitespace-separated word must appear in the name, family, Hub
 * repo or tag (case-insensitive); when nothing matches that way, the nearest names by edit distance.
 */
export function searchModels(query: string, options: ListOptions = {}): SearchHit[] {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const words = q.split(/\s+/);
  const items: Array<Omit<SearchHit, 'score'> & { haystack: string }> = [];
  for (const e of listPretrained({}, options)) {
    items.push({
      name: e.name,
      arch: e.arch,
      tag: e.tag,
      kind: e.source === 'user' ? 'user' : 'pretrained',
      family: e.family,
      haystack: [e.name, e.family, e.visionTower, e.textTower, e.hfHub?.repo ?? ''].join(' ').toLowerCase(),
    });
  }
  for (const a of catalog().architectures) {
    if (a.tags.length > 0) continue;
    items.push({
      name: a.name,
      arch: a.name,
      tag: null,
      kind: 'architecture',
      family: a.family,
      haystack: [a.name, a.family, a.visionTower, a.textTower].join(' ').toLowerCase(),
    });
  }
  const hits: SearchHit[] = [];
  for (const { haystack, ...item } of items) {
    const name = item.name.toLowerCase();
    let score = -1;
    if (name === q || item.arch.toLowerCase() === q) score = 0;
    else if (name.startsWith(q)) score = 1;
    else if (words.every((w) => haystack.includes(w))) score = 2;
    if (score >= 0) hits.push({ ...item, score });
  }
  if (hits.length === 0) {
    // Fuzzy fallback on names only; keep the few nearest.
    const scored = items.map(({ haystack: _h, ...item }) => ({
      ...item,
      score: 3 + Math.min(editDistance(q, item.arch), editDistance(q, item.name)),
    }));
    const best = Math.min(...scored.map((s) => s.score));
    if (best - 3 <= Math.max(2, Math.ceil(q.length / 3)))
      return scored
        .filter((s) => s.score <= best + 1)
        .sort((a, b) => a.score - b.score)
        .slice(0, 10);
    return [];
  }
  return hits.sort((a, b) => a.score - b.score);
}
