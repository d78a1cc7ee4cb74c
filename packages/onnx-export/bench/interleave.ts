import * as ort from 'onnxruntime-node';

export interface InterleaveOptions {
  threads: number;
  /** Least wall time for all rounds together. */
  secs: number;
  /** Length of one graph's turn of back-to-back runs. */
  blockMs?: number;
  /** Idle workers of one session's pool sleep instead of spinning while another session runs. */
  noSpin?: boolean;
  /**
   * Turns measured outside this process (PyTorch eager in a Python child): each is called with the block
   * length and resolves to the fastest run (ms) of a block it ran the same way, taking its turn after the
   * graphs in every round. Their results follow the graphs' in the returned list.
   */
  outsideTurns?: Array<(blockMs: number) => Promise<number>>;
}

/**
 * Fastest single run (ms) of each graph on the same input. The graphs take turns in blocks of back-to-back
 * runs, the first run of a block discarded (it shares the cores with the previous session's spinning
 * workers), each scored by its fastest run, so load on a shared machine neither favours one graph nor
 * decides the ratio.
 */
export async function interleavedFastestMs(
  models: string[],
  input: ort.Tensor,
  options: InterleaveOptions,
): Promise<number[]> {
  const opts: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: options.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  };
  if (options.noSpin) opts.extra = { session: { intra_op: { allow_spinning: '0' } } };
  const sessions = await Promise.all(models.map((m) => ort.InferenceSession.create(m, opts)));
  const feeds = sessions.map((s) => ({ [s.inputNames[0] as string]: input }));
  for (const [i, s] of sessions.entries()) await s.run(feeds[i] as Record<string, ort.Tensor>); // warm-up
  const outside = options.outsideTurns ?? [];
  const fastest = [...models, ...outside].map(() => Infinity);
  const blockMs = options.blockMs ?? 300;
  const start = performance.now();
  for (let round = 0; round < 2 || performance.now() - start < options.secs * 1000; round++) {
    for (const [i, s] of sessions.entries()) {
      const feed = feeds[i] as Record<string, ort.Tensor>;
      await s.run(feed);
      const until = performance.now() + blockMs;
      for (let n = 0; n < 3 || performance.now() < until; n++) {
        const t = performance.now();
        await s.run(feed);
        fastest[i] = Math.min(fastest[i] as number, performance.now() - t);
      }
    }
    for (const [j, turn] of outside.entries()) {
      const i = models.length + j;
      fastest[i] = Math.min(fastest[i] as number, await turn(blockMs));
    }
  }
  await Promise.all(sessions.map((s) => s.release()));
  return fastest;
}
