#!/usr/bin/env node
// Texts/s of @cliphub/tokenizer's SimpleTokenizer against open_clip's Python tokenizer on the same texts,
// both measured in this run. Needs the built dist (`npm run build -w @cliphub/tokenizer`) and a Python with
// open_clip (the oracle venv by default; override with CLIPHUB_BENCH_PYTHON). A benchmark, not a test.
// Usage: node packages/tokenizer/bench/tokenizer.bench.mjs [count]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const dist = path.join(root, 'packages/tokenizer/dist/index.js');
if (!existsSync(dist)) {
  console.error('bench: build first: npm run build -w @cliphub/tokenizer');
  process.exit(2);
}
const { SimpleTokenizer, findBpeVocab } = await import(dist);
const python = process.env.CLIPHUB_BENCH_PYTHON ?? path.join(root, '.oracle/venv/bin/python');
const vocab =
  [
    path.join(root, '../shared/upstream/open_clip-v3.3.0/bpe_simple_vocab_16e6.txt.gz'),
    path.join(root, '.oracle/venv/lib/python3.11/site-packages/open_clip/bpe_simple_vocab_16e6.txt.gz'),
  ].find(existsSync) ?? findBpeVocab();
const count = Number(process.argv[2] ?? 20000);
const BATCH = 256;

// Seeded captions like a zero-shot or embedding workload: mostly English, some other scripts and symbols.
let seed = 12345;
const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
const words = (
  'a photo of the dog cat car house tree sky beautiful red small large running jumping painting astronaut ' +
  'riding horse diagram city night street food pizza coffee mountain river ocean sunset portrait bright blue green ' +
  "old young man woman child bicycle table chair window kitchen garden beach snow forest bird flower it's don't"
).split(' ');
const extras = ['東京の夜景', 'Привет', 'café', '😀', '&amp;', '“quoted”', 'ﬁne', 'ＦＵＬＬ', '!!!', '2024', 'Zürich'];
const texts = Array.from({ length: count }, () => {
  const n = 4 + Math.floor(rnd() * 16);
  const parts = Array.from({ length: n }, () => (rnd() < 0.08 ? pick(extras) : pick(words)));
  return parts.join(' ');
});

function timeJs() {
  const t0 = performance.now();
  return SimpleTokenizer.load({ vocabPath: vocab }).then((tok) => {
    const load = performance.now() - t0;
    const run = () => {
      const s = performance.now();
      for (let i = 0; i < texts.length; i += BATCH) tok.tokenize(texts.slice(i, i + BATCH));
      return (performance.now() - s) / 1000;
    };
    const cold = run();
    const warm = run();
    return { load: load / 1000, cold, warm };
  });
}

function timePython() {
  const dir = mkdtempSync(path.join(tmpdir(), 'cliphub-bench-'));
  try {
    const file = path.join(dir, 'texts.json');
    writeFileSync(file, JSON.stringify(texts));
    const code = `
import json, sys, time
t0 = time.perf_counter()
from open_clip.tokenizer import SimpleTokenizer
tok = SimpleTokenizer()
load = time.perf_counter() - t0
texts = json.load(open(sys.argv[1], encoding='utf-8'))
def run():
    s = time.perf_counter()
    for i in range(0, len(texts), ${BATCH}): tok(texts[i:i + ${BATCH}])
    return time.perf_counter() - s
cold = run(); warm = run()
print(json.dumps({"load": load, "cold": cold, "warm": warm}))`;
    const r = spawnSync(python, ['-W', 'ignore', '-c', code, file], { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error(`python failed: ${r.stderr.slice(-500)}`);
    return JSON.parse(r.stdout.trim().split('\n').pop());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const js = await timeJs();
const py = existsSync(python) ? timePython() : null;
const rate = (s) => Math.round(texts.length / s);
console.log(`tokenizer bench: ${texts.length} texts, batches of ${BATCH}, node ${process.version}`);
console.log(
  `  @cliphub/tokenizer  first pass ${rate(js.cold)} texts/s, warm ${rate(js.warm)} texts/s (load ${js.load.toFixed(2)} s)`,
);
if (py) {
  console.log(
    `  open_clip (Python)  first pass ${rate(py.cold)} texts/s, warm ${rate(py.warm)} texts/s (load ${py.load.toFixed(2)} s)`,
  );
  console.log(`  speedup: first pass ${(py.cold / js.cold).toFixed(1)}x, warm ${(py.warm / js.warm).toFixed(1)}x`);
} else {
  console.log(`  Python comparison skipped: ${python} not found (set CLIPHUB_BENCH_PYTHON)`);
}
