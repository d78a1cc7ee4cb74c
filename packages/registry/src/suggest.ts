/** Levenshtein distance, case-insensitive (users type 'vit-b-32' for 'ViT-B-32'). */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const cur = [i];
    for (let j = 1; j <= t.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[t.length]!;
}

/** The candidates closest to `input` (at most `max`), nearest first; ties keep the candidates' order. */
export function closestNames(input: string, candidates: readonly string[], max = 3): string[] {
  const lower = input.toLowerCase();
  const scored = candidates.map((c, i) => {
    const d = editDistance(input, c);
    // A candidate that contains the input (or vice versa) is a strong hint even when long.
    const contains = c.toLowerCase().includes(lower) || lower.includes(c.toLowerCase());
    return { c, i, score: contains ? Math.min(d, 1 + Math.abs(c.length - input.length) / 4) : d };
  });
  const limit = Math.max(3, Math.ceil(input.length / 2));
  return scored
    .filter((s) => s.score <= limit)
    .sort((a, b) => a.score - b.score || a.i - b.i)
    .slice(0, max)
    .map((s) => s.c);
}
