import { openSafetensors } from '@cliphub/safetensors';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { repoRoot, runPythonAsync, tempDir } from '#test-support';
import { expect } from 'vitest';
import type { ExportOptions } from '../types.js';
import { compare, exportFixture, runOrt } from '#test-support/onnx-fidelity.js';

// The real open_clip model of `arch` at full size, every vision parameter perturbed (seeded), and its
// encode_image of seeded random pixels. Only the vision tower's weights (and logit_scale) are saved.
const MAKE = `
import json, os, sys
import torch, open_clip
from safetensors.torch import save_file
arch, out, seed, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
torch.manual_seed(seed)
model = open_clip.create_model(arch, pretrained=None).eval()
g = torch.Generator().manual_seed(seed)
with torch.no_grad():
    for name, p in model.visual.state_dict().items():
        if p.is_floating_point():
            p.add_(torch.randn(p.shape, generator=g) * 0.02)
cfg = open_clip.get_model_config(arch)
size = cfg['vision_cfg'].get('image_size', 224)
pixels = torch.randn(n, 3, size, size, generator=g)
with torch.no_grad():
    img = model.encode_image(pixels).float()
sd = {'visual.' + k: v.detach().contiguous() for k, v in model.visual.state_dict().items()}
sd['logit_scale'] = model.logit_scale.detach().clone()
save_file(sd, os.path.join(out, 'weights.tmp'))
save_file({'inputs.pixel_values': pixels.contiguous(), 'cpu_fp32.image_embeds': img.contiguous()},
          os.path.join(out, 'reference.safetensors'))
with open(os.path.join(out, 'open_clip_config.json'), 'w') as f:
    json.dump({'model_cfg': cfg}, f)
os.replace(os.path.join(out, 'weights.tmp'), os.path.join(out, 'open_clip_model.safetensors'))
`;

/** Makes (once, cached under .cache/onnx-export/full-<arch>) the full-size vision fixture; returns its dir. */
export async function fullSizeVision(arch: string, images = 2, seed = 0): Promise<string> {
  const dir = path.join(repoRoot, '.cache', 'onnx-export', `full-${arch}`);
  if (!existsSync(path.join(dir, 'open_clip_model.safetensors'))) {
    mkdirSync(dir, { recursive: true });
    await runPythonAsync(MAKE, [arch, dir, String(seed), String(images)]);
  }
  return dir;
}

/** Exports the vision tower of a fullSizeVision fixture and compares with open_clip's embeddings. */
export async function visionFidelity(
  dir: string,
  out: string,
  options: ExportOptions,
): Promise<{ minCos: number; maxRel: number; exportMs: number }> {
  const f = await openSafetensors(path.join(dir, 'reference.safetensors'));
  try {
    const read = async (name: string) => {
      const b = await f.readTensor(name);
      return {
        data: new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4),
        dims: f.header.tensors.get(name)?.shape ?? [],
      };
    };
    const pixels = await read('inputs.pixel_values');
    const want = await read('cpu_fp32.image_embeds');
    const t0 = performance.now();
    await exportFixture(dir, out, { ...options, towers: ['vision'] });
    const exportMs = performance.now() - t0;
    const got = await runOrt(path.join(out, 'vision.onnx'), {
      pixel_values: new ort.Tensor('float32', pixels.data, pixels.dims),
    });
    return { ...compare(got, want.data, want.dims[0] as number), exportMs };
  } finally {
    await f.close();
  }
}

/**
 * Exports the full-size `arch` vision tower in every mode (fp32 fused and plain, fp16, int8) and holds each to
 * its fidelity bar against open_clip: fp32 cos >= 0.99999 and max |Δ|/max|ref| <= 1e-4, fp16 cos >= 0.999,
 * int8 cos >= 0.99.
 */
export async function expectEveryModeFaithful(arch: string): Promise<void> {
  const dir = await fullSizeVision(arch);
  const { dir: scratch, cleanup } = tempDir();
  try {
    const run = (name: string, o: object) => visionFidelity(dir, path.join(scratch, name), o);
    const fused = await run('fused', {});
    const plain = await run('plain', { contribOps: false });
    const fp16 = await run('fp16', { dtype: 'fp16' });
    const int8 = await run('int8', { dtype: 'int8' });
    console.log(`${arch} ${JSON.stringify({ fused, plain, fp16, int8 })}`);
    for (const r of [fused, plain]) {
      expect(r.minCos).toBeGreaterThanOrEqual(0.99999);
      expect(r.maxRel).toBeLessThanOrEqual(1e-4);
    }
    expect(fp16.minCos).toBeGreaterThanOrEqual(0.999);
    expect(int8.minCos).toBeGreaterThanOrEqual(0.99);
  } finally {
    cleanup();
  }
}
