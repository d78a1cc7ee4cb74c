import { openSafetensors } from '@cliphub/safetensors';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatedFixtures, hasOracle, oraclePython, repoRoot, tempDir } from '#test-support';
import { exportOnnx, weightSourceFromSafetensors, type WeightSource } from './index.js';
import { ModelProto } from './proto.js';
import {
  compare,
  embedImages,
  EXPORT_MODES,
  exportFixture,
  loadReference,
  modelCfgOf,
} from '#test-support/onnx-fidelity.js';

const zooDir = path.join(generatedFixtures, 'export-zoo');
const FP32 = { minCos: 0.99999, maxRel: 1e-4 };

// Rebuilds a zoo tiny variant (or the full-size model) with real open_clip and writes a checkpoint in the
// layout asked for: 'reparam' runs timm's reparameterize_model over the whole trunk (the inference
// layout: one conv per MobileOne block, RepMixer, large-kernel conv and positional encoding), 'mixed'
// only over the stem and the last stage, 'train' keeps the training-time branches. The reference image
// embeddings come from the model as saved.
const MAKE_VARIANT = `
import json, os, sys
import torch, open_clip
from safetensors.torch import load_file, save_file
jobs = json.loads(sys.argv[1])
sys.argv = ['make_export_zoo.py', jobs[0][2]]
sys.path.insert(0, os.path.join(os.getcwd(), 'tools', 'fixtures'))
import make_export_zoo as z
from timm.utils import reparameterize_model
torch.set_num_threads(1)


def make(mode, src, out, size):
  torch.manual_seed(0)
  os.makedirs(out, exist_ok=True)
  if size == 'tiny':
      cfg = json.load(open(os.path.join(src, 'open_clip_config.json')))['model_cfg']
      shrinker = z.zoo.find('vision', cfg['vision_cfg'], cfg)
      cdir = os.path.join(out, '_cfg')
      os.makedirs(cdir, exist_ok=True)
      json.dump(cfg, open(os.path.join(cdir, 'mc-variant.json'), 'w'))
      open_clip.add_model_config(cdir)
      with z.patched_timm(shrinker):
          model = open_clip.create_model('mc-variant', pretrained=None)
      model.load_state_dict(load_file(os.path.join(src, 'open_clip_model.safetensors')))
      ref = load_file(os.path.join(src, 'reference.safetensors'))
  else:
      cfg = open_clip.get_model_config(src)
      model = open_clip.create_model(src, pretrained=None)
      z.perturb(model, 7)
      g = torch.Generator().manual_seed(7)
      s = cfg['vision_cfg']['image_size']
      ref = {'inputs.pixel_values': torch.randn(2, 3, s, s, generator=g), 'inputs.input_ids': torch.zeros(2, 77, dtype=torch.long),
             'cpu_fp32.text_embeds': torch.zeros(2, cfg['embed_dim']), 'logit_scale': model.logit_scale.detach().reshape(()).clone()}
  model.eval()
  trunk = model.visual.trunk
  if mode == 'reparam':
      reparameterize_model(trunk, inplace=True)
  elif mode == 'mixed':
      reparameterize_model(trunk.stem, inplace=True)
      reparameterize_model(trunk.stages[-1], inplace=True)
  with torch.no_grad():
      ref['cpu_fp32.image_embeds'] = model.encode_image(ref['inputs.pixel_values']).float().contiguous()
  keep = (lambda k: True) if size == 'tiny' else (lambda k: k.startswith('visual.') or k == 'logit_scale')
  sd = {k: v.detach().contiguous() for k, v in model.state_dict().items() if keep(k)}
  save_file(sd, os.path.join(out, 'open_clip_model.safetensors'))
  save_file({k: v.contiguous() for k, v in ref.items()}, os.path.join(out, 'reference.safetensors'))
  json.dump({'model_cfg': cfg}, open(os.path.join(out, 'open_clip_config.json'), 'w'))
  return sum(1 for k in sd if 'reparam_conv' in k)


print(json.dumps([make(*job) for job in jobs]))
`;

type Job = [mode: 'reparam' | 'mixed' | 'train', src: string, out: string, size: 'tiny' | 'full'];

/** Runs the oracle once for several variants (asynchronously: the worker stays responsive); reparam_conv counts. */
async function makeVariants(jobs: Job[]): Promise<number[]> {
  const { stdout } = await promisify(execFile)(
    oraclePython,
    ['-W', 'ignore', '-c', MAKE_VARIANT, JSON.stringify(jobs)],
    {
      cwd: repoRoot,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return JSON.parse(stdout.trim().split('\n').pop() ?? '[]') as number[];
}

async function imageFidelity(dir: string, out: string, options = {}): Promise<{ minCos: number; maxRel: number }> {
  await exportFixture(dir, out, { towers: ['vision'], ...options });
  const ref = await loadReference(path.join(dir, 'reference.safetensors'));
  const got = await embedImages(path.join(out, 'vision.onnx'), ref);
  return compare(got, ref.image.data, ref.pixels.dims[0] as number);
}

const hasZoo = existsSync(path.join(zooDir, 'MobileCLIP2-S0', 'open_clip_model.safetensors'));

describe.skipIf(!hasOracle || !hasZoo)('FastViT MCi checkpoints in either branch layout', () => {
  const scratch = tempDir('cliphub-fastvit-');
  afterAll(() => scratch.cleanup());
  const archs = ['MobileCLIP2-S0', 'MobileCLIP2-S3'];
  const modes = ['reparam', 'mixed'] as const;
  const counts = new Map<string, number>();
  beforeAll(async () => {
    const jobs = archs.flatMap((a) =>
      modes.map((m): Job => [m, path.join(zooDir, a), path.join(scratch.dir, `${a}-${m}`), 'tiny']),
    );
    (await makeVariants(jobs)).forEach((n, i) => counts.set(jobs[i]?.[2] as string, n));
  }, 300_000);

  // MCi0 (BatchNorm before attention, SE in the downsamples) and MCi3 (LayerNorm2d, no stem scale branch)
  for (const arch of archs) {
    for (const mode of modes) {
      it(`${arch}: a ${mode === 'reparam' ? 'reparameterised' : 'partly reparameterised'} checkpoint exports (fp32 fused and plain)`, async () => {
        const dir = path.join(scratch.dir, `${arch}-${mode}`);
        expect(counts.get(dir)).toBeGreaterThan(mode === 'reparam' ? 10 : 3);
        for (const [variant, options] of [
          ['fused', {}],
          ['plain', { contribOps: false }],
        ] as const) {
          const r = await imageFidelity(dir, path.join(dir, variant), options);
          expect({ variant, ok: r.minCos >= FP32.minCos && r.maxRel <= FP32.maxRel, r }).toMatchObject({ ok: true });
        }
      });
    }
  }

  it('int8 stays within bounds and opset 21 matches, for MCi and the MobileCLIP ViTs', async () => {
    for (const arch of ['MobileCLIP2-S0', 'MobileCLIP2-S3', 'MobileCLIP-B', 'MobileCLIP2-L-14']) {
      const r = await imageFidelity(path.join(zooDir, arch), path.join(scratch.dir, `${arch}-int8`), { dtype: 'int8' });
      expect({ arch, cos: r.minCos >= 0.99 }).toEqual({ arch, cos: true });
      // opset 21 takes the Gelu op and axes-as-input paths
      const o21 = await imageFidelity(path.join(zooDir, arch), path.join(scratch.dir, `${arch}-o21`), {
        opset: 21,
        contribOps: false,
      });
      expect({ arch, ok: o21.minCos >= FP32.minCos && o21.maxRel <= FP32.maxRel }).toEqual({ arch, ok: true });
    }
  });

  it('no unused initializers or dead nodes in any dtype (onnxruntime warns about them on every load)', async () => {
    const dead: string[] = [];
    for (const arch of ['MobileCLIP2-S0', 'MobileCLIP2-S3', 'MobileCLIP-B', 'MobileCLIP2-L-14']) {
      for (const [variant, options] of EXPORT_MODES) {
        const out = path.join(scratch.dir, `${arch}-dead-${variant}`);
        await exportFixture(path.join(zooDir, arch), out, { towers: ['vision'], ...options });
        const model = ModelProto.toObject(ModelProto.decode(readFileSync(path.join(out, 'vision.onnx')))) as {
          graph: {
            node: Array<{ op_type: string; input?: string[]; output?: string[] }>;
            initializer?: Array<{ name: string }>;
            output?: Array<{ name: string }>;
          };
        };
        const g = model.graph;
        const read = new Set([...g.node.flatMap((n) => n.input ?? []), ...(g.output ?? []).map((o) => o.name)]);
        for (const i of g.initializer ?? [])
          if (!read.has(i.name)) dead.push(`${arch} ${variant}: initializer ${i.name}`);
        for (const n of g.node)
          if (!(n.output ?? []).some((o) => read.has(o))) dead.push(`${arch} ${variant}: node ${n.op_type}`);
      }
    }
    expect(dead).toEqual([]);
  });

  it('a checkpoint missing a branch is refused with exit 2, naming the keys, and no files', async () => {
    const dir = path.join(zooDir, 'MobileCLIP2-S0');
    const f = await openSafetensors(path.join(dir, 'open_clip_model.safetensors'));
    try {
      const src = weightSourceFromSafetensors(f);
      const hidden = 'visual.trunk.stages.1.blocks.0.token_mixer.mixer.conv_scale.conv.weight';
      const source: WeightSource = {
        names: () => [...src.names().filter((n) => n !== hidden), 'visual.trunk.stages.9.extra'],
        info: (n) =>
          n === hidden ? undefined : n === 'visual.trunk.stages.9.extra' ? { dtype: 'F32', shape: [1] } : src.info(n),
        read: (n) => src.read(n),
      };
      const out = path.join(scratch.dir, 'bad');
      const err = await exportOnnx(modelCfgOf(dir), source, out).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'WEIGHTS_MISMATCH', exitCode: 2 });
      expect(String((err as Error).message)).toContain(hidden);
      expect(String((err as Error).message)).toContain('visual.trunk.stages.9.extra');
      expect(existsSync(path.join(out, 'vision.onnx'))).toBe(false);
    } finally {
      await f.close();
    }
  });
});

// Full-size vision towers, seeded and perturbed by the oracle and cached under .cache/onnx-export:
// MobileCLIP2-S0 (fastvit_mci0 at 256×256) in both layouts, and MobileCLIP-B (vit_base_mci_224).
const FULL: Array<[arch: string, mode: 'train' | 'reparam']> = [
  ['MobileCLIP2-S0', 'train'],
  ['MobileCLIP2-S0', 'reparam'],
  ['MobileCLIP-B', 'train'],
];
describe.skipIf(!hasOracle)('full-size MobileCLIP vision towers', () => {
  const dirOf = (arch: string, mode: string) => path.join(repoRoot, '.cache', 'onnx-export', `${arch}-${mode}`);
  beforeAll(async () => {
    const jobs = FULL.filter(([a, m]) => !existsSync(path.join(dirOf(a, m), 'reference.safetensors'))).map(
      ([a, m]): Job => [m, a, dirOf(a, m), 'full'],
    );
    for (const j of jobs) mkdirSync(j[2], { recursive: true });
    if (jobs.length) await makeVariants(jobs);
  }, 600_000);
  for (const [arch, mode] of FULL) {
    it(
      `${arch}, ${mode} layout: fp32 matches open_clip, fp16 and int8 within bounds`,
      { timeout: 180_000 },
      async () => {
        const dir = dirOf(arch, mode);
        const { dir: out, cleanup } = tempDir();
        try {
          const t0 = performance.now();
          const fp32 = await imageFidelity(dir, path.join(out, 'fp32'));
          const ms = performance.now() - t0;
          const fp16 = await imageFidelity(dir, path.join(out, 'fp16'), { dtype: 'fp16' });
          const int8 = await imageFidelity(dir, path.join(out, 'int8'), { dtype: 'int8' });
          const mb = (v: string) => (statSync(path.join(out, v, 'vision.onnx')).size / 1e6).toFixed(1);
          console.log(
            `${arch} ${mode}: fp32 ${JSON.stringify(fp32)} (export + run ${ms.toFixed(0)} ms), fp16 ${JSON.stringify(fp16)}, int8 ${JSON.stringify(int8)}; MB fp32/fp16/int8 ${mb('fp32')}/${mb('fp16')}/${mb('int8')}`,
          );
          expect(fp32.minCos).toBeGreaterThanOrEqual(FP32.minCos);
          expect(fp32.maxRel).toBeLessThanOrEqual(FP32.maxRel);
          expect(fp16.minCos).toBeGreaterThanOrEqual(0.999);
          expect(int8.minCos).toBeGreaterThanOrEqual(0.99);
        } finally {
          cleanup();
        }
      },
    );
  }
});
