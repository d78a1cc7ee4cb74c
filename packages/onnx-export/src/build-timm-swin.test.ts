import { openSafetensors } from '@cliphub/safetensors';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { generatedFixtures, hasOracle, pythonJson, tempDir } from '#test-support';
import { compare, embedImages, exportFixture, loadReference, modelCfgOf, runOrt } from '#test-support/onnx-fidelity.js';
import { relativeBias, shiftMask, windowOrder } from './build-timm-swin.js';
import { OnnxExportError } from './errors.js';
import { exportOnnx } from './export-onnx.js';
import { ModelProto } from './proto.js';
import { memorySource, type MemTensor } from './test-utils/memory-source.js';
import { towerSupport } from './tower-support.js';
import type { DType, ModelCfg } from './types.js';
import { expectEveryModeFaithful, fullSizeVision, readVisionReference } from './test-utils/full-size-vision.js';
import { pyCheck, pyJob } from './test-utils/py-check.js';

// timm's own index arithmetic for one block: which grid position lands at each window slot after
// torch.roll(-shift) + window_partition, the block's attention mask, and the relative position bias.
const TIMM_WINDOWS = `
import json, sys, torch
from timm.models.swin_transformer import SwinTransformerBlock, WindowAttention, window_partition
out = []
for side, window, shift in json.loads(sys.argv[1]):
    grid = torch.arange(side * side, dtype=torch.float64).view(1, side, side, 1)
    rolled = torch.roll(grid, shifts=(-shift, -shift), dims=(1, 2)) if shift else grid
    order = window_partition(rolled, (window, window)).reshape(-1).long().tolist()
    block = SwinTransformerBlock(4, (side, side), num_heads=2, window_size=window, shift_size=shift)
    mask = block.attn_mask
    attn = WindowAttention(4, num_heads=2, window_size=window)
    torch.manual_seed(side + window)
    attn.relative_position_bias_table.data.normal_()
    out.append({'order': order, 'mask': None if mask is None else mask.reshape(-1).tolist(),
                'table': attn.relative_position_bias_table.reshape(-1).tolist(),
                'bias': attn._get_rel_pos_bias().reshape(-1).tolist()})
print(json.dumps(out))
`;

// A mid-size Swin with swin_base's geometry at 224 px (56/28/14/7 grids, 7x7 windows, shift 3, a last stage
// of one unshifted window) and swin-base depths, at a quarter of its widths (head_dim 32): the full model
// takes ~15 s per image pair in the oracle on this shared CPU. Every parameter is perturbed (seeded).
const MID_SWIN = { name: 'mid', timmKwargs: { embed_dim: 32, num_heads: [1, 2, 4, 8] } };

describe.skipIf(!hasOracle)('timm Swin window arithmetic against timm', () => {
  it('window order, shift mask and relative position bias match timm for shifted, unshifted and clamped blocks', () => {
    const cases: Array<[number, number, number]> = [
      [8, 4, 2],
      [56, 7, 3],
      [28, 7, 0],
      [7, 7, 0],
    ];
    const timm = pythonJson<Array<{ order: number[]; mask: number[] | null; table: number[]; bias: number[] }>>(
      TIMM_WINDOWS,
      [JSON.stringify(cases)],
    );
    cases.forEach(([side, window, shift], i) => {
      const want = timm[i] as (typeof timm)[number];
      expect(windowOrder(side, window, shift)).toEqual(want.order);
      if (shift) expect(Array.from(shiftMask(side, window, shift))).toEqual(want.mask);
      else expect(want.mask).toBeNull();
      const bias = relativeBias(Float32Array.from(want.table), 2, window);
      expect(Array.from(bias)).toEqual(Array.from(Float32Array.from(want.bias)));
    });
  });
});

describe.skipIf(!hasOracle)('mid-size swin_base geometry at 224 px against open_clip', () => {
  it(
    'fp32 (fused, plain), fp16 and int8 stay within the bars in onnxruntime-node and Python',
    { timeout: 600_000 },
    async () => {
      const dir = await fullSizeVision('swin_base_patch4_window7_224', 2, 0, MID_SWIN);
      const ref = await readVisionReference(dir);
      const { dir: scratch, cleanup } = tempDir();
      try {
        const n = ref.image.dims[0] as number;
        const modes = [
          ['fused', {}],
          ['plain', { contribOps: false }],
          ['fp16', { dtype: 'fp16' }],
          ['int8', { dtype: 'int8' }],
        ] as const;
        const jobs = [];
        const node: Record<string, { minCos: number; maxRel: number }> = {};
        for (const [name, options] of modes) {
          const out = path.join(scratch, name);
          await exportFixture(dir, out, { ...options, towers: ['vision'] });
          const model = path.join(out, 'vision.onnx');
          const got = await runOrt(model, {
            pixel_values: new ort.Tensor('float32', ref.pixels.data, ref.pixels.dims),
          });
          node[name] = compare(got, ref.image.data, n);
          // onnx.checker does not know onnxruntime's com.microsoft ops of the fused graph
          jobs.push(pyJob(model, 'vision', path.join(dir, 'reference.safetensors'), got, name !== 'fused'));
        }
        const py = pyCheck(jobs, scratch);
        console.log(
          `mid-size swin ${JSON.stringify({ node, python: py.map((v) => [v.minCos, v.maxRel, v.maxDiffVsNode]) })}`,
        );
        for (const [i, [name]] of modes.entries()) {
          const p = py[i] as (typeof py)[number];
          const r = node[name] as { minCos: number; maxRel: number };
          expect(p.checker, name).toBe(name === 'fused' ? 'skipped' : 'ok');
          expect(p.maxDiffVsNode, name).toBeLessThanOrEqual(1e-4);
          const bar = name === 'fp16' ? 0.999 : name === 'int8' ? 0.99 : 0.99999;
          for (const v of [r, p]) {
            expect(v.minCos, name).toBeGreaterThanOrEqual(bar);
            if (name === 'fused' || name === 'plain') expect(v.maxRel, name).toBeLessThanOrEqual(1e-4);
          }
        }
      } finally {
        cleanup();
      }
    },
  );
});

// The full swin_base (87M-parameter trunk) takes about two minutes here (the open_clip reference ~15 s per
// image pair on a shared CPU, each export ~350 MB); opt in with CLIPHUB_FULL_SWIN=1.
describe.skipIf(!hasOracle || process.env.CLIPHUB_FULL_SWIN !== '1')('full-size swin_base against open_clip', () => {
  it('fp32 (fused, plain), fp16 and int8 stay within the fidelity bars', { timeout: 1_200_000 }, () =>
    expectEveryModeFaithful('swin_base_patch4_window7_224'),
  );
});

const zooSwin = path.join(generatedFixtures, 'export-zoo', 'swin_base_patch4_window7_224');

/** The zoo's tiny Swin (open_clip-made, 3 stages, 4x4 windows) as editable in-memory tensors. */
async function zooTensors(): Promise<Map<string, MemTensor>> {
  const f = await openSafetensors(path.join(zooSwin, 'open_clip_model.safetensors'));
  try {
    const out = new Map<string, MemTensor>();
    for (const [name, info] of f.header.tensors)
      out.set(name, { dtype: info.dtype as DType, shape: info.shape, data: await f.readTensor(name) });
    return out;
  } finally {
    await f.close();
  }
}

async function failure(cfg: ModelCfg, tensors: Map<string, MemTensor>) {
  const { dir, cleanup } = tempDir();
  try {
    const out = path.join(dir, 'out');
    const err = await exportOnnx(cfg, memorySource(tensors), out, { towers: ['vision'] }).then(
      () => null,
      (e: unknown) => e,
    );
    return { err: err as OnnxExportError, files: existsSync(out) ? readdirSync(out) : [] };
  } finally {
    cleanup();
  }
}

describe('timm Swin tower support', () => {
  const swin = (v: Record<string, unknown>): ModelCfg => ({
    embed_dim: 640,
    vision_cfg: { timm_model_name: 'swin_base_patch4_window7_224', image_size: 224, ...v },
    text_cfg: { context_length: 77, vocab_size: 49408, width: 640, heads: 10, layers: 12 },
  });
  it('builds the avg-pooled trunk under head.proj or head.mlp, and names what it cannot', () => {
    for (const proj of ['linear', 'mlp'])
      expect(towerSupport(swin({ timm_pool: '', timm_proj: proj })).vision).toEqual({ supported: true });
    expect(towerSupport(swin({ timm_pool: 'abs_attn', timm_proj: '' })).vision.reason).toMatch(
      /swin_base_patch4_window7_224 with timm_pool=abs_attn/,
    );
    expect(towerSupport(swin({ timm_pool: '', timm_proj: 'none' })).vision.reason).toMatch(/timm_proj=none/);
  });
});

describe.skipIf(!existsSync(path.join(zooSwin, 'open_clip_model.safetensors')))(
  'timm Swin bad input: exit 2, no files',
  () => {
    it('lists missing, unexpected and wrongly shaped Swin weights', async () => {
      const t = await zooTensors();
      t.delete('visual.trunk.layers.1.downsample.reduction.weight');
      t.set('visual.trunk.layers.0.blocks.0.attn.relative_position_index', {
        dtype: 'I64',
        shape: [16, 16],
        data: new Uint8Array(16 * 16 * 8),
      });
      const norm = t.get('visual.trunk.norm.weight') as MemTensor;
      t.set('visual.trunk.norm.weight', { ...norm, shape: [norm.shape[0] as number, 1] });
      const { err, files } = await failure(modelCfgOf(zooSwin), t);
      expect(err).toBeInstanceOf(OnnxExportError);
      expect([err.code, err.exitCode]).toEqual(['WEIGHTS_MISMATCH', 2]);
      expect(err.message).toContain('missing visual.trunk.layers.1.downsample.reduction.weight');
      expect(err.message).toContain('unexpected visual.trunk.layers.0.blocks.0.attn.relative_position_index');
      expect(err.message).toContain('visual.trunk.norm.weight [64,1] (config implies [64])');
      expect(files).toEqual([]);
    });

    it('refuses a grid its windows do not divide (timm would pad it)', async () => {
      const cfg = modelCfgOf(zooSwin);
      const { err, files } = await failure(
        { ...cfg, vision_cfg: { ...cfg.vision_cfg, image_size: 72 } },
        await zooTensors(),
      );
      expect([err.code, err.exitCode]).toEqual(['UNSUPPORTED_TOWER', 2]);
      expect(err.message).toMatch(/stage 0's 18x18 grid is not a multiple of its 4x4 window/);
      expect(files).toEqual([]);
    });
  },
);

describe.skipIf(!hasOracle || !existsSync(path.join(zooSwin, 'reference.safetensors')))(
  'tiny Swin (zoo) in every mode',
  () => {
    it(
      'int8 and opset 21 match open_clip, with no unused initializers or dead nodes',
      { timeout: 120_000 },
      async () => {
        const ref = await loadReference(path.join(zooSwin, 'reference.safetensors'));
        const n = ref.pixels.dims[0] as number;
        const { dir: scratch, cleanup } = tempDir();
        try {
          const dead: string[] = [];
          for (const [name, options] of [
            ['fused', {}],
            ['plain', { contribOps: false }],
            ['fp16', { dtype: 'fp16' }],
            ['int8', { dtype: 'int8' }],
            ['opset21', { opset: 21, contribOps: false }], // the Gelu op and axes-as-input paths
          ] as const) {
            const out = path.join(scratch, name);
            await exportFixture(zooSwin, out, { towers: ['vision'], ...options });
            const model = path.join(out, 'vision.onnx');
            const r = compare(await embedImages(model, ref), ref.image.data, n);
            if (name === 'int8') expect(r.minCos, name).toBeGreaterThanOrEqual(0.99);
            if (name === 'opset21')
              expect({ minCos: r.minCos >= 0.99999, maxRel: r.maxRel <= 1e-4 }).toEqual({ minCos: true, maxRel: true });
            const g = (ModelProto.toObject(ModelProto.decode(readFileSync(model))) as { graph: DecodedGraph }).graph;
            const read = new Set([...g.node.flatMap((x) => x.input ?? []), ...(g.output ?? []).map((o) => o.name)]);
            for (const i of g.initializer ?? []) if (!read.has(i.name)) dead.push(`${name}: initializer ${i.name}`);
            for (const x of g.node)
              if (!(x.output ?? []).some((o) => read.has(o))) dead.push(`${name}: node ${x.op_type}`);
          }
          expect(dead).toEqual([]);
        } finally {
          cleanup();
        }
      },
    );
  },
);

interface DecodedGraph {
  node: Array<{ op_type: string; input?: string[]; output?: string[] }>;
  initializer?: Array<{ name: string }>;
  output?: Array<{ name: string }>;
}
