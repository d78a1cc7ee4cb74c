import { openSafetensors } from '@cliphub/safetensors';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { repoRoot, runPythonAsync, tempDir } from '#test-support';
import { expect } from 'vitest';
import type { ExportOptions } from '../types.js';
import { compare, exportFixture, runOrt } from '#test-support/onnx-fidelity.js';

// The real open_clip model of `arch` at full size, every vision parameter perturbed (seeded), and its
// encode_image of seeded random pixels. Only the vision tower's weights (and logit_scale) are saved. A JSON
// object of timm keyword arguments, when given, overrides the timm trunk's (a narrower model of the same
// geometry, where the full one is too slow for CI).
const MAKE = `
import json, os, sys
import torch, open_clip, open_clip.timm_model
from safetensors.torch import save_file
arch, out, seed, n, overrides = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), json.loads(sys.argv[5])
if overrides:
    timm = open_clip.timm_model.timm
    create = timm.create_model
    timm.create_model = lambda name, *a, **k: create(name, *a, **{**k, **overrides})
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
tmp = os.path.join(out, 'weights.' + str(os.getpid()) + '.tmp')  # this process's own: test files run side by side
save_file(sd, tmp)
save_file({'inputs.pixel_values': pixels.contiguous(), 'cpu_fp32.image_embeds': img.contiguous()},
          os.path.join(out, 'reference.safetensors'))
with open(os.path.join(out, 'open_clip_config.json'), 'w') as f:
    json.dump({'model_cfg': cfg}, f)
os.replace(tmp, os.path.join(out, 'open_clip_model.safetensors'))
`;

/** A narrower model of the same geometry: its cache name and the timm keyword arguments it overrides. */
export interface TimmVariant {
  name: string;
  timmKwargs: Record<string, unknown>;
}

/**
 * Makes (once, cached under .cache/onnx-export/full-<arch>, or <variant.name>-<arch>) the full-size vision
 * fixture, or that of a timm variant; returns its dir.
 */
export async function fullSizeVision(arch: string, images = 2, seed = 0, variant?: TimmVariant): Promise<string> {
  const dir = path.join(repoRoot, '.cache', 'onnx-export', `${variant?.name ?? 'full'}-${arch}`);
  if (!existsSync(path.join(dir, 'open_clip_model.safetensors'))) {
    mkdirSync(dir, { recursive: true });
    const overrides = JSON.stringify(variant?.timmKwargs ?? {});
    await runPythonAsync(MAKE, [arch, dir, String(seed), String(images), overrides]);
  }
  return dir;
}

/** A fullSizeVision fixture's reference: the pixels and open_clip's image embeddings of them. */
export async function readVisionReference(dir: string) {
  const f = await openSafetensors(path.join(dir, 'reference.safetensors'));
  try {
    const read = async (name: string) => {
      const b = await f.readTensor(name);
      return {
        data: new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4),
        dims: f.header.tensors.get(name)?.shape ?? [],
      };
    };
    return { pixels: await read('inputs.pixel_values'), image: await read('cpu_fp32.image_embeds') };
  } finally {
    await f.close();
  }
}

/** Exports the vision tower of a fullSizeVision fixture and compares with open_clip's embeddings. */
export async function visionFidelity(
  dir: string,
  out: string,
  options: ExportOptions,
): Promise<{ minCos: number; maxRel: number; exportMs: number }> {
  const { pixels, image: want } = await readVisionReference(dir);
  const t0 = performance.now();
  await exportFixture(dir, out, { ...options, towers: ['vision'] });
  const exportMs = performance.now() - t0;
  const got = await runOrt(path.join(out, 'vision.onnx'), {
    pixel_values: new ort.Tensor('float32', pixels.data, pixels.dims),
  });
  return { ...compare(got, want.data, want.dims[0] as number), exportMs };
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
