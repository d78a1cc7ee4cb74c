// Focused timing (not a test): onnxruntime-node latency of several graphs of one tower on the same input.
// The graphs take turns in blocks of back-to-back runs (the first run of a block discarded: it shares the
// cores with the previous session's spinning workers), each scored by its fastest run, so load on a shared
// machine neither favours one graph nor decides the ratio. Compares graph layouts one change at a time.
// Usage: vite-node bench/graph-timing.ts -- --tower vision|text [--batch 1] [--full] [--secs 20] [--threads 2] [--no-spin] [--block-ms 300] a.onnx b.onnx ...
import * as ort from 'onnxruntime-node';
import { benchInput } from './inputs.js';

const arg = (k: string, d: string): string => {
  const i = process.argv.indexOf(k);
  return i >= 0 ? (process.argv[i + 1] ?? d) : d;
};
const tower: 'vision' | 'text' = arg('--tower', 'vision') === 'vision' ? 'vision' : 'text';
const batch = Number(arg('--batch', '1'));
const secs = Number(arg('--secs', '20'));
const threads = Number(arg('--threads', '2'));
const blockMs = Number(arg('--block-ms', '300'));
const full = process.argv.includes('--full');
const models = process.argv.slice(2).filter((a) => a.endsWith('.onnx'));

async function main(): Promise<void> {
  const opts: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  };
  // --no-spin: idle workers of one session's pool sleep instead of spinning while another session runs
  if (process.argv.includes('--no-spin')) opts.extra = { session: { intra_op: { allow_spinning: '0' } } };
  const sessions = await Promise.all(models.map((m) => ort.InferenceSession.create(m, opts)));
  const input = benchInput(tower, batch, full);
  const feeds = sessions.map((s) => ({ [s.inputNames[0] as string]: input }));
  for (const [i, s] of sessions.entries()) await s.run(feeds[i] as Record<string, ort.Tensor>);
  const fastest = models.map(() => Infinity);
  const start = performance.now();
  for (let round = 0; round < 2 || performance.now() - start < secs * 1000; round++) {
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
  }
  await Promise.all(sessions.map((s) => s.release()));
  const base = fastest[0] as number;
  for (const [i, m] of models.entries()) {
    const ms = fastest[i] as number;
    console.log(
      `${m}: ${ms.toFixed(2)} ms, ${((batch * 1000) / ms).toFixed(1)} items/s, ${(base / ms).toFixed(3)}x the first`,
    );
  }
}

await main();
