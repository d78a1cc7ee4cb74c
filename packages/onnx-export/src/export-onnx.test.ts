import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generatedFixtures, hasOracle, needsShared, sharedFixtures, tempDir } from '#test-support';
import { compare, exportAndEmbed, exportFixture, loadReference, modelCfgOf } from '#test-support/onnx-fidelity.js';
import { pyCheck, pyJob, type PyJob } from './test-utils/py-check.js';

const GENERATED = [
  'tiny-vit-gelu',
  'tiny-vit-quickgelu',
  'tiny-vit-variants',
  'tiny-siglip-like',
  'tiny-vit-attnpool',
  'tiny-rn-quickgelu',
];
const generated = GENERATED.map((n) => ({ label: n, dir: path.join(generatedFixtures, 'models', n) }));
const shared =
  sharedFixtures && existsSync(path.join(sharedFixtures, 'tiny'))
    ? readdirSync(path.join(sharedFixtures, 'tiny')).map((n) => ({
        label: `shared/${n}`,
        dir: path.join(sharedFixtures as string, 'tiny', n),
      }))
    : [];

/** Exports one fixture and returns node's and the reference's embeddings for both towers. */
async function exportAndRun(dir: string, out: string, options: Parameters<typeof exportFixture>[2] = {}) {
  const refFile = path.join(dir, 'reference.safetensors');
  const ref = await loadReference(refFile);
  return { ref, refFile, ...(await exportAndEmbed(dir, out, ref, options)) };
}

function fp32Faithful(s: { minCos: number; maxRel: number }): boolean {
  return s.minCos >= 0.99999 && s.maxRel <= 1e-4;
}

const scratch = tempDir('cliphub-onnx-test-');
afterAll(() => scratch.cleanup());

/** Graphs for the one Python pass at the end (importing onnx + onnxruntime costs seconds, so once per file). */
const jobs: Array<
  PyJob & { minCos: number; maxRel?: number; maxDiffVsNode?: number; inits: (i: Record<string, number>) => boolean }
> = [];

function fp32Suite(fixtures: Array<{ label: string; dir: string }>) {
  for (const f of fixtures) {
    // Default: onnxruntime's fused com.microsoft ops; contribOps false: plain ONNX, which onnx.checker knows.
    for (const contribOps of [true, false]) {
      it(`${f.label}: fp32 ${contribOps ? 'with com.microsoft ops' : 'plain ONNX'} matches open_clip cpu_fp32 in onnxruntime-node`, async () => {
        const out = path.join(scratch.dir, contribOps ? 'fp32' : 'fp32-plain', f.label);
        const r = await exportAndRun(f.dir, out, contribOps ? {} : { contribOps: false });
        expect(r.img.minCos).toBeGreaterThanOrEqual(0.99999);
        expect(r.img.maxRel).toBeLessThanOrEqual(1e-4);
        expect(r.txt.minCos).toBeGreaterThanOrEqual(0.99999);
        expect(r.txt.maxRel).toBeLessThanOrEqual(1e-4);
        expect(r.result.logitScale).toBeCloseTo(r.ref.logitScale, 6);
        if (r.ref.logitBias === null) expect(r.result.logitBias).toBeNull();
        else expect(r.result.logitBias).toBeCloseTo(r.ref.logitBias, 6);
        const cfg = modelCfgOf(f.dir);
        for (const t of r.result.towers) {
          const ms = Object.keys(t.nodeCounts).filter((k) => k.startsWith('com.microsoft.'));
          if (!contribOps) expect(ms).toEqual([]);
          // every text block but the last, which attends from the pooled token alone (pooledAttention)
          else if (t.tower === 'text')
            expect(t.nodeCounts['com.microsoft.Attention']).toBe(Number(cfg.text_cfg.layers) - 1);
        }
        for (const [tower, nodeOut, ref] of [
          ['vision', r.image, r.ref.image.data],
          ['text', r.text, r.ref.text.data],
        ] as const) {
          jobs.push({
            ...pyJob(path.join(out, `${tower}.onnx`), tower, r.refFile, nodeOut, !contribOps),
            minCos: 0.99999,
            maxRel: 1e-4,
            maxDiffVsNode: 1e-5 * Math.max(...ref.map(Math.abs)),
            inits: (i) => Object.keys(i).sort().join() === 'FLOAT,INT64',
          });
        }
      });
    }
  }
}

describe.skipIf(!hasOracle)('exportOnnx fp32 (generated open_clip 3.3.0 fixtures)', () => fp32Suite(generated));
describe.skipIf(!needsShared('tiny fixtures from ../shared'))('exportOnnx fp32 (../shared tiny fixtures)', () =>
  fp32Suite(shared),
);

describe.skipIf(!hasOracle)('exportOnnx fp16 and int8', () => {
  const fixtures = [...generated, ...shared];
  for (const f of fixtures) {
    it(`${f.label}: fp16 min cosine >= 0.999; int8 min cosine >= 0.99 with every weight MatMul quantized`, async () => {
      const out = path.join(scratch.dir, 'lowp', f.label);
      const h = await exportAndRun(f.dir, path.join(out, 'fp16'), { dtype: 'fp16' });
      expect(h.img.minCos).toBeGreaterThanOrEqual(0.999);
      expect(h.txt.minCos).toBeGreaterThanOrEqual(0.999);
      const q = await exportAndRun(f.dir, path.join(out, 'int8'), { dtype: 'int8' });
      expect(q.img.minCos).toBeGreaterThanOrEqual(0.99);
      expect(q.txt.minCos).toBeGreaterThanOrEqual(0.99);
      for (const t of q.result.towers) expect(t.nodeCounts.MatMulInteger).toBeGreaterThan(0);
      // only attention's Q·Kᵀ and P·V stay float MatMuls (in the pooled last block: scores and P·h)
      const layers = Number(modelCfgOf(f.dir).text_cfg.layers);
      expect(q.result.towers.find((t) => t.tower === 'text')?.nodeCounts.MatMul).toBe(2 * layers);
      for (const [dtype, r] of [
        ['fp16', h],
        ['int8', q],
      ] as const) {
        for (const [tower, nodeOut] of [
          ['vision', r.image],
          ['text', r.text],
        ] as const) {
          jobs.push({
            ...pyJob(path.join(out, dtype, `${tower}.onnx`), tower, r.refFile, nodeOut),
            minCos: dtype === 'fp16' ? 0.999 : 0.99,
            inits: (i) => (dtype === 'fp16' ? (i.FLOAT16 ?? 0) > 10 : (i.INT8 ?? 0) >= 4),
          });
        }
      }
    });
  }
});

describe.skipIf(!hasOracle)('activation is part of fidelity', () => {
  const cases = [
    { model: 'tiny-vit-quickgelu', wrong: 'gelu' },
    { model: 'tiny-vit-gelu', wrong: 'quick_gelu' },
  ] as const;
  for (const c of cases) {
    it(`${c.model} exported with ${c.wrong} fails the fp32 bounds; the resolved activation passes`, async () => {
      const { dir: out, cleanup } = tempDir();
      try {
        const dir = path.join(generatedFixtures, 'models', c.model);
        const wrong = await exportAndRun(dir, path.join(out, 'wrong'), {
          activation: { vision: c.wrong, text: c.wrong },
        });
        expect(wrong.result.towers.map((t) => t.activation)).toEqual([c.wrong, c.wrong]);
        // each activation has its own fused kernel: QuickGelu is never computed by a GELU kernel, nor the reverse
        const kernel = (a: string) => (a === 'quick_gelu' ? 'com.microsoft.QuickGelu' : 'com.microsoft.Gelu');
        for (const t of wrong.result.towers)
          expect(Object.keys(t.nodeCounts).filter((k) => /Gelu/.test(k))).toEqual([kernel(c.wrong)]);
        expect(fp32Faithful(wrong.img)).toBe(false);
        expect(fp32Faithful(wrong.txt)).toBe(false);
        const right = await exportAndRun(dir, path.join(out, 'right'));
        expect(right.result.towers.map((t) => t.activation)).not.toContain(c.wrong);
        expect(fp32Faithful(right.img) && fp32Faithful(right.txt)).toBe(true);
        for (const t of right.result.towers)
          expect(Object.keys(t.nodeCounts).filter((k) => /Gelu/.test(k))).toEqual([
            kernel(right.result.towers[0]?.activation ?? ''),
          ]);
      } finally {
        cleanup();
      }
    });
  }
});

describe.skipIf(!hasOracle)('export options', () => {
  const dir = path.join(generatedFixtures, 'models', 'tiny-siglip-like');
  for (const opset of [18, 20, 21]) {
    it(`opset ${opset} (ReduceMean axes as input${opset >= 20 ? ', native Gelu' : ''}) stays faithful`, async () => {
      const out = path.join(scratch.dir, `opset${opset}`);
      const r = await exportAndRun(dir, out, { opset, contribOps: false });
      expect(fp32Faithful(r.img) && fp32Faithful(r.txt)).toBe(true);
      const text = r.result.towers.find((t) => t.tower === 'text');
      expect(text?.nodeCounts.Gelu ?? 0).toBe(opset >= 20 ? 2 : 0);
      expect(text?.nodeCounts.Tanh ?? 0).toBe(opset >= 20 ? 0 : 2);
      for (const [tower, nodeOut, ref] of [
        ['vision', r.image, r.ref.image.data],
        ['text', r.text, r.ref.text.data],
      ] as const) {
        jobs.push({
          ...pyJob(path.join(out, `${tower}.onnx`), tower, r.refFile, nodeOut),
          minCos: 0.99999,
          maxRel: 1e-4,
          maxDiffVsNode: 1e-5 * Math.max(...ref.map(Math.abs)),
          inits: (i) => (i.FLOAT ?? 0) > 0,
        });
      }
    });
  }

  it('external data: every large tensor goes to <tower>.onnx_data, 4 KiB aligned, with identical outputs', async () => {
    const inline = await exportAndRun(dir, path.join(scratch.dir, 'inline'));
    const out = path.join(scratch.dir, 'external');
    const progress: Array<[number, number]> = [];
    const r = await exportAndRun(dir, out, { externalDataThreshold: 0, onProgress: (d, t) => progress.push([d, t]) });
    for (const t of r.result.towers) expect(t.externalData).toBe(path.join(out, `${t.tower}.onnx_data`));
    expect(readdirSync(out).sort()).toEqual(['text.onnx', 'text.onnx_data', 'vision.onnx', 'vision.onnx_data']);
    expect(statSync(path.join(out, 'vision.onnx')).size).toBeLessThan(40_000);
    expect(Array.from(r.image)).toEqual(Array.from(inline.image));
    expect(Array.from(r.text)).toEqual(Array.from(inline.text));
    const last = progress[progress.length - 1];
    expect(last?.[0]).toBe(last?.[1]);
    expect(progress.every(([d], i) => i === 0 || d >= (progress[i - 1]?.[0] ?? 0))).toBe(true);
    for (const [tower, nodeOut] of [
      ['vision', r.image],
      ['text', r.text],
    ] as const) {
      jobs.push({
        ...pyJob(path.join(out, `${tower}.onnx`), tower, r.refFile, nodeOut, false),
        minCos: 0.99999,
        maxRel: 1e-4,
        inits: () => true,
      });
    }
  });

  it('the fused path computes tanh GELU with FastGelu and erf GELU with Gelu, never the other kernel', async () => {
    const r = await exportAndRun(dir, path.join(scratch.dir, 'fastgelu'));
    expect(fp32Faithful(r.img) && fp32Faithful(r.txt)).toBe(true);
    const gelus = (tower: string) =>
      Object.entries(r.result.towers.find((t) => t.tower === tower)?.nodeCounts ?? {}).filter(([k]) => /Gelu/.test(k));
    expect(gelus('text')).toEqual([['com.microsoft.FastGelu', 2]]); // act_kwargs.approximate: tanh
    expect(gelus('vision')).toEqual([['com.microsoft.Gelu', 2]]);
  });

  it('normalize appends F.normalize: unit rows, parallel to the unnormalized embeddings', async () => {
    const r = await exportAndRun(dir, path.join(scratch.dir, 'normalized'), { normalize: true });
    for (const [got, ref] of [
      [r.image, r.ref.image.data],
      [r.text, r.ref.text.data],
    ] as const) {
      const d = got.length / r.n;
      for (let i = 0; i < r.n; i++) {
        const row = got.subarray(i * d, (i + 1) * d);
        expect(Math.hypot(...row)).toBeCloseTo(1, 5);
      }
      expect(compare(got, ref, r.n).minCos).toBeGreaterThanOrEqual(0.99999);
    }
  });
});

describe.skipIf(!hasOracle)('Python oracle on every graph exported above', () => {
  it('onnx.checker(full_check) passes, Python onnxruntime meets the same bounds and agrees with onnxruntime-node', () => {
    expect(jobs.length).toBeGreaterThanOrEqual(4 * generated.length);
    pyCheck(jobs, scratch.dir).forEach((py, i) => {
      const job = jobs[i];
      if (!job) throw new Error('job list and verdicts differ');
      expect(py.model).toBe(job.model);
      expect(py.checker, py.model).toBe(job.checker ? 'ok' : 'skipped');
      expect(py.minCos, py.model).toBeGreaterThanOrEqual(job.minCos);
      if (job.maxRel !== undefined) expect(py.maxRel, py.model).toBeLessThanOrEqual(job.maxRel);
      if (job.maxDiffVsNode !== undefined) expect(py.maxDiffVsNode, py.model).toBeLessThanOrEqual(job.maxDiffVsNode);
      expect(job.inits(py.inits), `${py.model} initializer types ${JSON.stringify(py.inits)}`).toBe(true);
    });
  });
});
