import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasOracle, needsShared, repoRoot, runPython, sharedFixtures, tempDir } from '#test-support';
import { compare, embedImages, embedTexts, exportFixture, loadReference } from '#test-support/onnx-fidelity.js';

const fixture = sharedFixtures ? path.join(sharedFixtures, 'full', 'ViT-B-32') : '';
const cacheDir = path.join(repoRoot, '.cache', 'onnx-export', 'ViT-B-32');

// Re-creates the full-size weights with ../shared/oracle/make_full_checkpoint.py's own make_weights, saved as
// safetensors (the exporter's input), once; later runs reuse the cache.
const MAKE_WEIGHTS = `
import os, runpy, sys
import open_clip
from safetensors.torch import save_file
script, out = sys.argv[1], sys.argv[2]
make_weights = runpy.run_path(script)['make_weights']
model = open_clip.create_model('ViT-B-32')
sd = make_weights(model.state_dict(), seed=0)
# a temp name of this process's own: test files that run side by side may make the same weights at once
tmp = out + '.' + str(os.getpid()) + '.tmp'
save_file({k: v.contiguous() for k, v in sd.items()}, tmp)
os.replace(tmp, out)
`;

function ensureWeights(): string {
  const file = path.join(cacheDir, 'open_clip_model.safetensors');
  if (!existsSync(file)) {
    mkdirSync(cacheDir, { recursive: true });
    const script = path.resolve(sharedFixtures as string, '../../oracle/make_full_checkpoint.py');
    runPython(MAKE_WEIGHTS, [script, file]);
  }
  return file;
}

describe.skipIf(!hasOracle || !needsShared('full-size ViT-B-32 reference'))('full-size ViT-B-32', () => {
  it('fp32 export of both towers reproduces the open_clip cpu_fp32 reference', { timeout: 120_000 }, async () => {
    const weights = ensureWeights();
    const { dir: out, cleanup } = tempDir();
    try {
      const t0 = performance.now();
      const r = await exportFixture(fixture, out, {}, weights);
      const exportMs = performance.now() - t0;
      const ref = await loadReference(path.join(fixture, 'reference.safetensors'));
      const n = ref.pixels.dims[0] as number;
      const img = compare(await embedImages(path.join(out, 'vision.onnx'), ref), ref.image.data, n);
      const txt = compare(await embedTexts(path.join(out, 'text.onnx'), ref), ref.text.data, n);
      console.log(
        `ViT-B-32 export ${exportMs.toFixed(0)} ms; image ${JSON.stringify(img)}; text ${JSON.stringify(txt)}`,
      );
      console.log(JSON.stringify(Object.fromEntries(r.towers.map((t) => [t.tower, t.nodeCounts]))));
      expect(img.minCos).toBeGreaterThanOrEqual(0.99999);
      expect(img.maxRel).toBeLessThanOrEqual(1e-4);
      expect(txt.minCos).toBeGreaterThanOrEqual(0.99999);
      expect(txt.maxRel).toBeLessThanOrEqual(1e-4);
      expect(r.logitScale).toBeCloseTo(Math.log(1 / 0.07), 5);
    } finally {
      cleanup();
    }
  });
});
