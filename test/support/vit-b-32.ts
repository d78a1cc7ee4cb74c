import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pythonJsonAsync, runPythonAsync } from './oracle.js';
import { repoRoot, sharedFixtures } from './paths.js';

// The exporter's, runtime's and transformers.js's full-size tests share one copy of the seeded weights (605 MB);
// the second path is where the exporter's test used to write them.
const WEIGHTS = [
  path.join(repoRoot, '.cache/full-vit-b-32/open_clip_model.safetensors'),
  path.join(repoRoot, '.cache/onnx-export/ViT-B-32/open_clip_model.safetensors'),
];

// ../shared/oracle/make_full_checkpoint.py's own make_weights (seed 0), saved as safetensors.
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

/** The full-size ViT-B-32 weights of ../shared's reference, made once (needs the oracle and ../shared). */
export async function fullVitB32Weights(): Promise<string> {
  const hit = WEIGHTS.find((f) => existsSync(f));
  if (hit) return hit;
  const file = WEIGHTS[0] as string;
  mkdirSync(path.dirname(file), { recursive: true });
  // async: a minute of Python in a sync call would starve the vitest worker's RPC
  await runPythonAsync(MAKE_WEIGHTS, [
    path.resolve(sharedFixtures as string, '../../oracle/make_full_checkpoint.py'),
    file,
  ]);
  return file;
}

// open_clip's own transform (PIL) and encode_image on image files.
const PIL_ORACLE = `
import json, sys, torch, open_clip
from PIL import Image
from safetensors.torch import load_file
a = json.load(open(sys.argv[1]))
model, _, preprocess = open_clip.create_model_and_transforms('ViT-B-32')
model.load_state_dict(load_file(a['weights'])); model.eval()
with torch.no_grad():
    x = torch.stack([preprocess(Image.open(p)) for p in a['images']])
    print(json.dumps(model.encode_image(x).tolist()))
`;

/** open_clip's ViT-B-32 image embeddings of `images` (its PIL preprocessing); `scratch` holds the job file. */
export function openClipImageEmbeddings(weights: string, images: string[], scratch: string): Promise<number[][]> {
  const job = path.join(scratch, 'pil-oracle-job.json');
  writeFileSync(job, JSON.stringify({ weights, images }));
  return pythonJsonAsync<number[][]>(PIL_ORACLE, [job]);
}
