/** Edit distance with adjacent transpositions (OSA), case-insensitive: 'ViT-B-23' is 1 from 'ViT-B-32'. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const d: number[][] = Array.from({ length: s.length + 1 }, (_, i) =>
    Array.from({ length: t.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[s.length]![t.length]!;
}

/** Contiguous runs of a name's '-', '_', ':' separated parts: 'timm-convnext' -> timm, convnext, timm-convnext. */
function segments(name: string): string[] {
  const tokens = name.split(/([-_:])/); // parts at even indices, their separators between
  const n = (tokens.length + 1) / 2;
  const out: string[] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j <= n; j++) out.push(tokens.slice(2 * i, 2 * j - 1).join(''));
  return out;
}

/** The candidates closest to `input` (at most `max`), nearest first; ties keep the candidates' order. */
export function closestNames(input: string, candidates: readonly string[], max = 3): string[] {
  const scored = candidates.map((c, i) => {
    const whole = editDistance(input, c);
    // Matching part of a name ('convnxt' ~ 'timm-convnext') counts, a little behind a whole-name match.
    const part = Math.min(...segments(c).map((s) => editDistance(input, s) + 0.5));
    return { c, i, score: Math.min(whole, part) };
  });
  const limit = Math.max(2, Math.ceil(input.length / 3));
  return scored
    .filter((s) => s.score <= limit)
    .sort((a, b) => a.score - b.score || a.i - b.i)
    .slice(0, max)
    .map((s) => s.c);
}
