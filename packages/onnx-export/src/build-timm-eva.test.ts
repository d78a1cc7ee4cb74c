import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generatedFixtures, hasOracle, repoRoot, runPythonAsync, tempDir } from '#test-support';
import { exportOnnx } from './export-onnx.js';
import { compare, embedImages, embedTexts, exportFixture, loadReference } from '#test-support/onnx-fidelity.js';
import { memorySource, syntheticWeights } from './test-utils/memory-source.js';
import { towerSupport } from './tower-support.js';
import type { ModelCfg } from './types.js';

const TEXT = { context_length: 32, vocab_size: 49408, width: 64, heads: 2, layers: 1 };
const cfgFor = (name: string, pool: string): ModelCfg => ({
  embed_dim: 32,
  vision_cfg: { image_size: 224, timm_model_name: name, timm_pool: pool, timm_proj: null },
  text_cfg: TEXT,
  custom_text: true,
});

describe('timm Eva towers: support and weight layout', () => {
  it('supports every Eva and PE-Core tower open_clip 3.3.0 names, with its config pooling only', () => {
    // each trunk and pool as open_clip 3.3.0's own configs name them (registry/architectures.json)
    const registry = JSON.parse(readFileSync(path.join(repoRoot, 'registry/architectures.json'), 'utf8')) as {
      architectures: Record<string, { config: { vision_cfg: { timm_model_name?: string; timm_pool?: string } } }>;
    };
    const towers = new Map<string, string>();
    for (const { config } of Object.values(registry.architectures)) {
      const { timm_model_name: name, timm_pool: pool } = config.vision_cfg;
      if (name && /^(eva|vit_pe_core)/.test(name)) towers.set(name, String(pool));
    }
    expect(towers.size).toBe(10);
    for (const [name, pool] of towers) {
      expect(towerSupport(cfgFor(name, pool)).vision, name).toEqual({ supported: true });
      expect(towerSupport(cfgFor(name, pool === 'map' ? 'token' : 'map')).vision.reason).toMatch(/timm_pool=/);
    }
    expect(towerSupport(cfgFor('eva02_small_patch14_224', 'token')).vision.supported).toBe(false);
  });

  it('a checkpoint whose keys do not fit the layout: WEIGHTS_MISMATCH (exit 2) listing the keys, no files', async () => {
    const cfg = cfgFor('vit_pe_core_tiny_patch16_384', 'map');
    cfg.vision_cfg.image_size = 384;
    const tensors = syntheticWeights(cfg);
    expect(tensors.has('visual.trunk.blocks.11.attn.qkv.bias')).toBe(true);
    tensors.delete('visual.trunk.attn_pool.latent');
    const bias = tensors.get('visual.trunk.blocks.0.attn.qkv.bias');
    if (bias) tensors.set('visual.trunk.blocks.0.attn.q_bias', bias);
    const { dir, cleanup } = tempDir();
    try {
      const err = await exportOnnx(cfg, memorySource(tensors), dir).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'WEIGHTS_MISMATCH', exitCode: 2 });
      expect(String((err as Error).message)).toMatch(/missing visual\.trunk\.attn_pool\.latent/);
      expect(String((err as Error).message)).toMatch(/unexpected visual\.trunk\.blocks\.0\.attn\.q_bias/);
      expect(existsSync(path.join(dir, 'vision.onnx'))).toBe(false);
    } finally {
      cleanup();
    }
  });
});

// int8 on the zoo's tiny variants (fp32 and fp16 are in export-zoo.test.ts).
const zooDir = path.join(generatedFixtures, 'export-zoo');
const ZOO = ['EVA01-g-14', 'EVA02-B-16', 'EVA02-E-14', 'PE-Core-B-16', 'PE-Core-bigG-14-448'];
describe.skipIf(!hasOracle || !existsSync(path.join(zooDir, 'EVA02-B-16')))('timm Eva towers: int8', () => {
  const scratch = tempDir('cliphub-eva-int8-');
  afterAll(() => scratch.cleanup());
  for (const arch of ZOO) {
    it(`${arch}: int8 image embeddings within bounds`, async () => {
      const dir = path.join(zooDir, arch);
      const out = path.join(scratch.dir, arch);
      await exportFixture(dir, out, { dtype: 'int8', towers: ['vision'] });
      const ref = await loadReference(path.join(dir, 'reference.safetensors'));
      const img = compare(await embedImages(path.join(out, 'vision.onnx'), ref), ref.image.data, 3);
      expect(img.minCos).toBeGreaterThanOrEqual(0.99);
    });
  }
});

// Every initializer kind the Eva builder makes (RoPE tables, folded class token, q/v bias, scaled q)
// read back from external data; the >4 GB streaming itself is the writer's (shared by all families).
describe.skipIf(!hasOracle || !existsSync(path.join(zooDir, 'EVA02-B-16')))('timm Eva towers: external data', () => {
  for (const arch of ['EVA02-B-16', 'EVA01-g-14', 'PE-Core-bigG-14-448']) {
    it(`${arch}: fp32 with every tensor in vision.onnx_data matches open_clip`, async () => {
      const dir = path.join(zooDir, arch);
      const { dir: out, cleanup } = tempDir();
      try {
        const r = await exportFixture(dir, out, { towers: ['vision'], externalDataThreshold: 0 });
        expect(r.towers[0]?.externalData).toBe(path.join(out, 'vision.onnx_data'));
        const ref = await loadReference(path.join(dir, 'reference.safetensors'));
        const img = compare(await embedImages(path.join(out, 'vision.onnx'), ref), ref.image.data, 3);
        expect(img.minCos).toBeGreaterThanOrEqual(0.99999);
        expect(img.maxRel).toBeLessThanOrEqual(1e-4);
      } finally {
        cleanup();
      }
    });
  }
});

// Full-size models (EVA02-B-16: SwiGLU, RoPE at 14x14 on a 16x16 reference grid; PE-Core-T-16-384: RoPE
// with grid offset and xy indexing, MAP head, context-32 text), made by the real open_clip with every
// parameter perturbed (make_export_zoo.py's perturb), once into .cache/onnx-export/.
const MAKE = `
import json, os, runpy, sys
import torch, open_clip
from pathlib import Path
from safetensors.torch import save_file
from open_clip.push_to_hf_hub import save_config_for_hf
out, arch = sys.argv[1], sys.argv[2]
sys.argv = ['make_export_zoo.py', out]
perturb = runpy.run_path('tools/fixtures/make_export_zoo.py')['perturb']
torch.manual_seed(0)
model = open_clip.create_model(arch, pretrained=None).eval()
perturb(model, 7)
cfg = open_clip.get_model_config(arch)
os.makedirs(out, exist_ok=True)
save_file({k: v.detach().contiguous() for k, v in model.state_dict().items()}, os.path.join(out, 'open_clip_model.safetensors'))
save_config_for_hf(model, Path(out) / 'open_clip_config.json', cfg)
g = torch.Generator().manual_seed(1)
size = cfg['vision_cfg']['image_size']
pixels = torch.randn(2, 3, size, size, generator=g)
ids = open_clip.get_tokenizer(arch)(['a diagram', 'a photo of a dog, on the grass!']).long()
with torch.no_grad():
    img, txt = model.encode_image(pixels), model.encode_text(ids)
save_file({'inputs.pixel_values': pixels, 'inputs.input_ids': ids.contiguous(), 'cpu_fp32.image_embeds': img.contiguous(),
           'cpu_fp32.text_embeds': txt.contiguous(), 'logit_scale': model.logit_scale.detach().reshape(())},
          os.path.join(out, 'reference.safetensors.tmp'))
os.replace(os.path.join(out, 'reference.safetensors.tmp'), os.path.join(out, 'reference.safetensors'))
`;

describe.skipIf(!hasOracle)('timm Eva towers at full size', () => {
  for (const arch of ['PE-Core-T-16-384', 'EVA02-B-16']) {
    it(
      `${arch}: fp32 both towers match open_clip, fp16 image ≥ 0.999, int8 image ≥ 0.99`,
      { timeout: 600_000 },
      async () => {
        const dir = path.join(repoRoot, '.cache', 'onnx-export', arch);
        if (!existsSync(path.join(dir, 'reference.safetensors'))) {
          mkdirSync(dir, { recursive: true });
          await runPythonAsync(MAKE, [dir, arch]);
        }
        const ref = await loadReference(path.join(dir, 'reference.safetensors'));
        const { dir: out, cleanup } = tempDir();
        try {
          const t0 = performance.now();
          await exportFixture(dir, path.join(out, 'fp32'));
          const ms = performance.now() - t0;
          const img = compare(await embedImages(path.join(out, 'fp32', 'vision.onnx'), ref), ref.image.data, 2);
          const txt = compare(await embedTexts(path.join(out, 'fp32', 'text.onnx'), ref), ref.text.data, 2);
          await exportFixture(dir, path.join(out, 'int8'), { dtype: 'int8', towers: ['vision'] });
          const q = compare(await embedImages(path.join(out, 'int8', 'vision.onnx'), ref), ref.image.data, 2);
          await exportFixture(dir, path.join(out, 'fp16'), { dtype: 'fp16', towers: ['vision'] });
          const h = compare(await embedImages(path.join(out, 'fp16', 'vision.onnx'), ref), ref.image.data, 2);
          console.log(
            `${arch}: export ${ms.toFixed(0)} ms; image ${JSON.stringify(img)}; text ${JSON.stringify(txt)}; fp16 ${JSON.stringify(h)}; int8 ${JSON.stringify(q)}`,
          );
          expect(Math.min(img.minCos, txt.minCos)).toBeGreaterThanOrEqual(0.99999);
          expect(Math.max(img.maxRel, txt.maxRel)).toBeLessThanOrEqual(1e-4);
          expect(h.minCos).toBeGreaterThanOrEqual(0.999);
          expect(q.minCos).toBeGreaterThanOrEqual(0.99);
        } finally {
          cleanup();
        }
      },
    );
  }
});
