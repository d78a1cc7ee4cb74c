import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasOracle, needsShared, pythonJson, repoRoot, runPython, sharedFixtures, tempDir } from '#test-support';
import { embedImages, loadModel } from './index.js';
import { exportModelDir } from '#test-support/model-export.js';
import { compareRows } from './test-utils/oracle-embed.js';

const fixture = sharedFixtures ? path.join(sharedFixtures, 'full', 'ViT-B-32') : '';
// The exporter's own test may already have made these (same script, same seed): reuse rather than write 605 MB twice.
const candidates = [
  path.join(repoRoot, '.cache/full-vit-b-32/open_clip_model.safetensors'),
  path.join(repoRoot, '.cache/onnx-export/ViT-B-32/open_clip_model.safetensors'),
];

const MAKE_WEIGHTS = `
import os, runpy, sys, open_clip
from safetensors.torch import save_file
script, out = sys.argv[1], sys.argv[2]
sd = runpy.run_path(script)['make_weights'](open_clip.create_model('ViT-B-32').state_dict(), seed=0)
# a temp name of this process's own: test files that run side by side may make the same weights at once
tmp = out + '.' + str(os.getpid()) + '.tmp'
save_file({k: v.contiguous() for k, v in sd.items()}, tmp)
os.replace(tmp, out)
`;

function ensureWeights(): string {
  const hit = candidates.find((f) => existsSync(f));
  if (hit) return hit;
  const file = candidates[0]!;
  mkdirSync(path.dirname(file), { recursive: true });
  runPython(MAKE_WEIGHTS, [path.resolve(sharedFixtures as string, '../../oracle/make_full_checkpoint.py'), file]);
  return file;
}

const ORACLE = `
import json, sys, torch, open_clip
from PIL import Image
from safetensors.torch import load_file
a = json.load(open(sys.argv[1]))
model, _, preprocess = open_clip.create_model_and_transforms('ViT-B-32')
model.load_state_dict(load_file(a['weights'])); model.eval()
with torch.no_grad():
    px = torch.stack([preprocess(Image.open(f)) for f in a['images']])
    print(json.dumps({'image': model.encode_image(px).tolist()}))
`;

describe.skipIf(!hasOracle || !needsShared('full-size ViT-B-32 through the runtime'))(
  'full-size ViT-B-32 through the runtime',
  () => {
    it(
      'image embeddings of the shared images (sharp preprocessing) reach cosine >= 0.999 against open_clip fed by PIL',
      { timeout: 240_000 },
      async () => {
        const weights = ensureWeights();
        const { dir, cleanup } = tempDir();
        try {
          await exportModelDir(fixture, dir, { weights, towers: ['vision'] }); // text is covered on the tiny models
          const pre = path.join(sharedFixtures as string, 'preprocess');
          const images = readdirSync(pre)
            .filter((f) => /\.(png|jpe?g)$/.test(f))
            .sort()
            .map((f) => path.join(pre, f));
          const args = path.join(dir, 'args.json');
          writeFileSync(args, JSON.stringify({ weights, images }));
          const want = pythonJson<{ image: number[][] }>(ORACLE, [args]);
          const model = await loadModel(dir);
          try {
            const img = compareRows((await embedImages(model, images, { batch: 4 })).data, want.image, 512);
            console.log(`ViT-B-32 runtime vs open_clip+PIL on ${images.length} images: ${JSON.stringify(img)}`);
            expect(images.length).toBeGreaterThanOrEqual(4);
            expect(img.minCos).toBeGreaterThanOrEqual(0.999);
          } finally {
            await model.dispose();
          }
        } finally {
          cleanup();
        }
      },
    );
  },
);
