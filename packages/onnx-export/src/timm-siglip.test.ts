import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { openSafetensors } from '@cliphub/safetensors';
import { describe, expect, it } from 'vitest';
import { generatedFixtures, hasOracle, pythonJson, tempDir } from '#test-support';
import {
  exportOnnx,
  weightSourceFromSafetensors,
  type ExportOptions,
  type ModelCfg,
  type WeightSource,
} from './index.js';
import { compare, embedImages, embedTexts, loadReference } from '#test-support/onnx-fidelity.js';
import { towerSupport } from './tower-support.js';

const dir = process.env.CLIPHUB_ONNX_CASES ?? path.join(generatedFixtures, 'onnx', 'siglip-b32');
const cfgOf = (file: string) =>
  (JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { model_cfg: ModelCfg }).model_cfg;

/** Several weight files seen as one state dict. */
function union(sources: WeightSource[]): WeightSource {
  const owner = (n: string) => sources.find((s) => s.info(n));
  return {
    names: () => sources.flatMap((s) => s.names()),
    info: (n) => owner(n)?.info(n),
    read: (n) => (owner(n) as WeightSource).read(n),
  };
}

async function run(cfgFile: string, extra: string[], options: ExportOptions, check = false) {
  const files = await Promise.all(
    ['open_clip_model.safetensors', ...extra].map((f) => openSafetensors(path.join(dir, f))),
  );
  const { dir: out, cleanup } = tempDir();
  try {
    const r = await exportOnnx(cfgOf(cfgFile), union(files.map(weightSourceFromSafetensors)), out, options);
    const ref = await loadReference(path.join(dir, 'reference.safetensors'));
    const image = await embedImages(path.join(out, 'vision.onnx'), ref);
    const text = r.towers.some((t) => t.tower === 'text') ? await embedTexts(path.join(out, 'text.onnx'), ref) : null;
    const checker = !check
      ? null
      : pythonJson<string>(
          'import onnx, sys, json\nonnx.checker.check_model(sys.argv[1], full_check=True)\nprint(json.dumps("ok"))',
          [path.join(out, 'vision.onnx')],
        );
    return { r, ref, image, text, checker };
  } finally {
    cleanup();
    await Promise.all(files.map((f) => f.close()));
  }
}

describe.skipIf(!hasOracle || !existsSync(dir))(
  'timm SigLIP vision tower (vit_base_patch32_siglip_256, MAP head)',
  () => {
    it('is supported with timm_proj none and linear', () => {
      expect(towerSupport(cfgOf('open_clip_config.json')).vision).toEqual({ supported: true });
      expect(towerSupport(cfgOf('open_clip_config.linear.json')).vision).toEqual({ supported: true });
    });

    it('timm_proj none: fp32 matches open_clip (fp16-stored weights), text tower too', async () => {
      const { r, ref, image, text, checker } = await run('open_clip_config.json', [], {}, true);
      expect(checker).toBe('ok');
      const img = compare(image, ref.image.data, 2);
      expect(img.minCos).toBeGreaterThanOrEqual(0.99999);
      expect(img.maxRel).toBeLessThanOrEqual(1e-4);
      const txt = compare(text as Float32Array, ref.text.data, 2);
      expect(txt.minCos).toBeGreaterThanOrEqual(0.99999);
      expect(r.towers.map((t) => t.activation)).toEqual(['gelu_tanh', 'gelu_tanh']);
      expect(r.logitBias).toBeCloseTo(-10, 5);
    });

    it('timm_proj linear with bias: fp32 matches; fp16 and int8 stay within their bounds', async () => {
      const lin = await linearRef();
      const f32 = await run('open_clip_config.linear.json', ['head_linear.safetensors'], { towers: ['vision'] });
      const a = compare(f32.image, lin, 2);
      expect(a.minCos).toBeGreaterThanOrEqual(0.99999);
      expect(a.maxRel).toBeLessThanOrEqual(1e-4);
      const f16 = await run('open_clip_config.linear.json', ['head_linear.safetensors'], {
        towers: ['vision'],
        dtype: 'fp16',
      });
      expect(compare(f16.image, lin, 2).minCos).toBeGreaterThanOrEqual(0.999);
      const i8 = await run('open_clip_config.linear.json', ['head_linear.safetensors'], {
        towers: ['vision'],
        dtype: 'int8',
      });
      expect(compare(i8.image, lin, 2).minCos).toBeGreaterThanOrEqual(0.99);
    });
  },
);

async function linearRef(): Promise<Float32Array> {
  const f = await openSafetensors(path.join(dir, 'reference.safetensors'));
  try {
    const b = await f.readTensor('linear.image_embeds');
    return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  } finally {
    await f.close();
  }
}
