import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '#test-support';
import { exportOnnx, OnnxExportError, type ExportOptions, type ModelCfg } from './index.js';
import { exportFailure } from './test-utils/export-failure.js';
import { memorySource, syntheticWeights, TINY_CFG } from './test-utils/memory-source.js';

describe('exportOnnx bad input: typed errors (exit 2) and no files', () => {
  it('refuses a tower it cannot build, naming the tower and the architecture', async () => {
    const cfg: ModelCfg = { ...TINY_CFG, vision_cfg: { timm_model_name: 'resnet50d', image_size: 224 } };
    const { err, files } = await exportFailure(cfg);
    expect(err).toBeInstanceOf(OnnxExportError);
    expect((err as OnnxExportError).code).toBe('UNSUPPORTED_TOWER');
    expect((err as OnnxExportError).exitCode).toBe(2);
    expect((err as Error).message).toMatch(/vision tower.*resnet50d/);
    expect(files).toEqual([]);
  });

  it('lists missing, unexpected and wrongly shaped weights together', async () => {
    const t = syntheticWeights(TINY_CFG);
    t.delete('visual.ln_pre.bias');
    t.delete('transformer.resblocks.0.mlp.c_fc.bias');
    t.set('visual.surprise', { dtype: 'F32', shape: [1], data: new Uint8Array(4) });
    t.set('visual.proj', { dtype: 'F32', shape: [32, 8], data: new Uint8Array(32 * 8 * 4) });
    const { err, files } = await exportFailure(TINY_CFG, t);
    expect((err as OnnxExportError).code).toBe('WEIGHTS_MISMATCH');
    const msg = (err as Error).message;
    expect(msg).toContain('missing visual.ln_pre.bias, transformer.resblocks.0.mlp.c_fc.bias');
    expect(msg).toContain('unexpected visual.surprise');
    expect(msg).toContain('visual.proj [32,8] (config implies [32,16])');
    expect(msg.split('\n')).toHaveLength(1);
    expect(files).toEqual([]);
  });

  it('rejects weights of another model (text keys where custom_text expects text.*)', async () => {
    const { err } = await exportFailure({ ...TINY_CFG, custom_text: true }, syntheticWeights(TINY_CFG));
    expect((err as OnnxExportError).code).toBe('WEIGHTS_MISMATCH');
    expect((err as Error).message).toMatch(/missing text\.token_embedding\.weight.*unexpected token_embedding\.weight/);
  });

  it('rejects an unknown dtype and unknown opsets', async () => {
    for (const [options, code] of [
      [{ dtype: 'bf16' }, 'BAD_DTYPE'],
      [{ opset: 16 }, 'BAD_OPSET'],
      [{ opset: 99 }, 'BAD_OPSET'],
      [{ towers: [] }, 'BAD_OPTION'],
      [{ activation: { text: 'swish' } }, 'BAD_OPTION'],
    ] as const) {
      const { err, files } = await exportFailure(TINY_CFG, undefined, options as unknown as ExportOptions);
      expect(err, JSON.stringify(options)).toBeInstanceOf(OnnxExportError);
      expect((err as OnnxExportError).code).toBe(code);
      expect(files).toEqual([]);
    }
  });

  it('leaves no partial files when a weight read fails half way, and keeps what was there', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeFileSync(path.join(dir, 'keep.txt'), 'x');
      const src = memorySource(syntheticWeights(TINY_CFG), 'transformer.resblocks.0.mlp.c_proj.weight');
      await expect(exportOnnx(TINY_CFG, src, dir)).rejects.toThrow(/simulated read failure/);
      expect(readdirSync(dir)).toEqual(['keep.txt']);
    } finally {
      cleanup();
    }
  });

  it('leaves no partial files when a span copy fails after its first megabyte', async () => {
    // a 49408 x 8 token embedding is 1.5 MiB: two pieces through the writer's buffer pool
    const cfg: ModelCfg = { ...TINY_CFG, text_cfg: { ...TINY_CFG.text_cfg, vocab_size: 49408, width: 8 } };
    const { dir, cleanup } = tempDir();
    try {
      const src = memorySource(syntheticWeights(cfg), 'token_embedding.weight', { readInto: true, failAt: 1 << 20 });
      await expect(exportOnnx(cfg, src, dir)).rejects.toThrow(
        /simulated read failure on token_embedding.weight at byte 1048576/,
      );
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      cleanup();
    }
  });

  it('writes the same bytes through span copies as through whole-tensor reads', async () => {
    const cfg: ModelCfg = { ...TINY_CFG, text_cfg: { ...TINY_CFG.text_cfg, vocab_size: 49408, width: 8 } };
    const t = syntheticWeights(cfg);
    const { dir, cleanup } = tempDir();
    try {
      for (const external of [false, true]) {
        const a = path.join(dir, `read-${external}`);
        const b = path.join(dir, `span-${external}`);
        await exportOnnx(cfg, memorySource(t), a, { externalDataThreshold: external ? 0 : undefined });
        await exportOnnx(cfg, memorySource(t, undefined, { readInto: true }), b, {
          externalDataThreshold: external ? 0 : undefined,
        });
        const files = readdirSync(a).sort();
        expect(readdirSync(b).sort()).toEqual(files);
        expect(files).toContain(external ? 'text.onnx_data' : 'text.onnx');
        for (const f of files)
          expect(readFileSync(path.join(b, f)).equals(readFileSync(path.join(a, f))), f).toBe(true);
      }
    } finally {
      cleanup();
    }
  });

  it('exports the supported tower alone when the other is unsupported', async () => {
    const cfg: ModelCfg = { ...TINY_CFG, text_cfg: { hf_model_name: 'my-org/my-bert' } };
    const t = syntheticWeights(cfg);
    t.set('text.transformer.embeddings.word_embeddings.weight', {
      dtype: 'F32',
      shape: [2, 2],
      data: new Uint8Array(16),
    });
    const { dir, cleanup } = tempDir();
    try {
      const r = await exportOnnx(cfg, memorySource(t), dir, { towers: ['vision'] });
      expect(r.towers.map((x) => x.tower)).toEqual(['vision']);
      expect(readdirSync(dir)).toEqual(['vision.onnx']);
    } finally {
      cleanup();
    }
  });
});
