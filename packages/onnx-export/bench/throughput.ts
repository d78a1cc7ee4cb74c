import type * as ort from 'onnxruntime-node';

/**
 * Items/s of several sessions, each fed its own feed: after one warm-up run each, they take turns in blocks of
 * back-to-back runs (a block: one unmeasured run, then at least `minRuns` measured runs and 300 ms), for at
 * least two rounds and `budgetMs`. Each session is scored by its fastest run; the sessions are released after.
 */
export async function throughputByTurns(
  sessions: ort.InferenceSession[],
  feeds: Array<Record<string, ort.Tensor>>,
  batch: number,
  budgetMs: number,
  minRuns: number,
): Promise<number[]> {
  for (const [i, s] of sessions.entries()) await s.run(feeds[i] as Record<string, ort.Tensor>); // warm-up
  const fastest = sessions.map(() => Infinity);
  const start = performance.now();
  for (let round = 0; round < 2 || performance.now() - start < budgetMs; round++) {
    for (const [i, s] of sessions.entries()) {
      const feed = feeds[i] as Record<string, ort.Tensor>;
      await s.run(feed); // shares the cores with the previous session's spinning workers
      const until = performance.now() + 300;
      for (let n = 0; n < minRuns || performance.now() < until; n++) {
        const t = performance.now();
        await s.run(feed);
        fastest[i] = Math.min(fastest[i] as number, performance.now() - t);
      }
    }
  }
  await Promise.all(sessions.map((s) => s.release()));
  return fastest.map((ms) => (batch * 1000) / ms);
}
