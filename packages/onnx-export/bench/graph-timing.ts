// Focused timing (not a test): onnxruntime-node latency of several graphs of one tower on the same input.
// The graphs take turns in blocks of back-to-back runs (the first run of a block discarded: it shares the
// cores with the previous session's spinning workers), each scored by its fastest run, so load on a shared
// machine neither favours one graph nor decides the ratio. Compares graph layouts one change at a time.
// Usage: vite-node bench/graph-timing.ts -- --tower vision|text [--batch 1] [--full] [--secs 20] [--threads 2] [--no-spin] [--block-ms 300] a.onnx b.onnx ...
import { benchInput } from './inputs.js';
import { interleavedFastestMs } from './interleave.js';

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
  const fastest = await interleavedFastestMs(models, benchInput(tower, batch, full), {
    threads,
    secs,
    blockMs,
    noSpin: process.argv.includes('--no-spin'),
  });
  const base = fastest[0] as number;
  for (const [i, m] of models.entries()) {
    const ms = fastest[i] as number;
    console.log(
      `${m}: ${ms.toFixed(2)} ms, ${((batch * 1000) / ms).toFixed(1)} items/s, ${(base / ms).toFixed(3)}x the first`,
    );
  }
}

await main();
