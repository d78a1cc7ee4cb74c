import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  convertToSafetensors,
  openWeights,
  toTensorSource,
  type ConvertOptions,
  type ConvertReport,
} from '@cliphub/convert';
import { writeSafetensors } from '@cliphub/safetensors';
import { generatedFixtures, hasOracle, needsShared, pythonJson, sharedFixtures, tempDir } from '#test-support';

interface Stat {
  max_abs: number;
  max_rel: number;
  min_cos: number;
}
interface CheckResult {
  id: string;
  error?: string;
  tensors?: { checked: number; missing: string[]; extra: string[]; mismatched: string[] };
  embeds?: { image: Stat; text: Stat; vision_act: string | null };
}
interface Case {
  id: string;
  /** The file handed to torch for comparison. */
  source: string;
  options: Omit<ConvertOptions, 'outDir'>;
  dtype?: 'fp16' | 'bf16';
  /** Reference embeddings; null for raw tensor zoos that are not models. */
  reference: string | null;
  /** A reference file with the inputs, when `reference` holds only embeddings. */
  inputs?: string;
  /** The `<device>_<mode>` key prefix of the reference embeddings. */
  referencePrefix?: string;
  /** How close the embeddings must be to the reference. */
  tolerance: 'exact' | 'close' | 'cast' | 'no-model';
  /** Write with the safetensors writer directly (no model config exists for a tensor zoo). */
  raw?: boolean;
  /** Lays out the input (run in beforeAll, not at collection). */
  prepare?: () => void;
  check?: (report: ConvertReport) => void;
}

const CHECK = readFileSync('test/support/py/check_conversions.py', 'utf8');
const FORMATS = [
  'open_clip_pytorch_model.bin',
  'legacy.bin',
  'epoch_1.pt',
  'torchscript.pt',
  'open_clip_model.safetensors',
];
const modelsDir = path.join(generatedFixtures, 'models');

/** The tiny models in every format, the casts, and a TorchScript archive with no config beside it. */
function generatedCases(tmp: string): Case[] {
  if (!existsSync(modelsDir)) return [];
  const cases: Case[] = [];
  for (const model of readdirSync(modelsDir).sort()) {
    const dir = path.join(modelsDir, model);
    const reference = path.join(dir, 'reference.safetensors');
    for (const format of FORMATS.filter((f) => existsSync(path.join(dir, f)))) {
      // The checkpoint alone beside its config, so the converter sees exactly one candidate.
      const inDir = path.join(tmp, 'in', `${model}-${format}`);
      cases.push({
        prepare: () => {
          mkdirSync(inDir, { recursive: true });
          copyFileSync(path.join(dir, format), path.join(inDir, format));
          copyFileSync(path.join(dir, 'open_clip_config.json'), path.join(inDir, 'open_clip_config.json'));
        },
        id: `${model}/${format}`,
        source: path.join(dir, format),
        options: { input: inDir, verify: true },
        reference,
        tolerance: 'exact',
        check: (r) => {
          expect(r.config.source).toBe('config-file');
          if (format === 'epoch_1.pt') {
            expect(r.strippedPrefix).toBe('module.');
            expect(r.dropped).toEqual(expect.arrayContaining(['epoch', 'optimizer']));
          }
        },
      });
    }
  }
  for (const dtype of ['fp16', 'bf16'] as const) {
    const dir = path.join(modelsDir, 'tiny-vit-quickgelu');
    cases.push({
      id: `cast to ${dtype}`,
      source: path.join(dir, 'open_clip_model.safetensors'),
      options: { input: dir, dtype, verify: true },
      dtype,
      reference: path.join(dir, 'reference.safetensors'),
      tolerance: 'cast',
    });
  }
  // Every dtype, views, offsets and tied storages, in both torch.save formats.
  for (const file of ['zoo.zip.pt', 'zoo.legacy.pt']) {
    const zoo = path.join(generatedFixtures, 'torch-cases', file);
    if (existsSync(zoo))
      cases.push({
        id: `dtype zoo ${file}`,
        source: zoo,
        options: { input: zoo },
        reference: null,
        tolerance: 'no-model',
        raw: true,
      });
  }
  const ts = path.join(modelsDir, 'tiny-vit-quickgelu/torchscript.pt');
  const alone = path.join(tmp, 'in', 'torchscript-alone');
  if (!existsSync(ts)) return cases;
  cases.push({
    prepare: () => {
      mkdirSync(alone, { recursive: true });
      copyFileSync(ts, path.join(alone, 'model.pt'));
    },
    id: 'TorchScript alone: architecture inferred, heads from module attributes, QuickGELU',
    source: ts,
    options: { input: path.join(alone, 'model.pt') },
    reference: path.join(modelsDir, 'tiny-vit-quickgelu/reference.safetensors'),
    tolerance: 'exact',
    check: (r) => {
      expect(r.config.source).toBe('inferred');
      expect(r.activation).toMatchObject({ value: 'quickgelu', guessed: false });
      const cfg = JSON.parse(readFileSync(r.outputs.config, 'utf8'));
      expect(cfg.model_cfg.quick_gelu).toBe(true);
      expect(cfg.model_cfg.vision_cfg.head_width).toBe(16);
      expect(cfg.model_cfg.text_cfg.heads).toBe(2);
    },
  });
  return cases;
}

/** The GPU-made fixtures in ../shared: every checkpoint file of every tiny model. */
function sharedCases(): Case[] {
  if (!sharedFixtures) return [];
  const tiny = path.join(sharedFixtures, 'tiny');
  return readdirSync(tiny).flatMap((model) =>
    readdirSync(path.join(tiny, model))
      .filter((f) => /\.(bin|pt|safetensors)$/.test(f) && !f.startsWith('reference'))
      .map((file): Case => {
        const bf16 = file.includes('bf16');
        const fp16 = file.includes('fp16');
        return {
          id: `shared ${model}/${file}`,
          source: path.join(tiny, model, file),
          options: { input: path.join(tiny, model, file), verify: true },
          // bf16 weights have their own fp32 reference (the rounded weights run in fp32)
          reference: path.join(tiny, model, bf16 ? 'reference.bf16weights.safetensors' : 'reference.safetensors'),
          inputs: path.join(tiny, model, 'reference.safetensors'),
          referencePrefix: bf16 ? 'cpu_fp32_bf16weights' : 'cpu_fp32',
          tolerance: fp16 ? 'cast' : 'close',
        };
      }),
  );
}

if (!sharedFixtures) needsShared('convert: the shared GPU-made fixtures');

describe.skipIf(!hasOracle)('convert matches real torch and open_clip on every format', () => {
  let tmp: ReturnType<typeof tempDir>;
  let cases: Case[] = [];
  const reports = new Map<string, ConvertReport | Error>();
  const checks = new Map<string, CheckResult>();

  beforeAll(async () => {
    tmp = tempDir();
    cases = [...generatedCases(tmp.dir), ...sharedCases()];
    const jobs = [];
    for (const [i, c] of cases.entries()) {
      const outDir = path.join(tmp.dir, 'out', String(i));
      try {
        c.prepare?.();
        if (c.raw) {
          // The same streaming path convert uses, minus the model config a tensor zoo cannot have.
          const weights = await openWeights(c.source);
          mkdirSync(outDir, { recursive: true });
          await writeSafetensors(path.join(outDir, 'open_clip_model.safetensors'), weights.tensors.map(toTensorSource));
          await weights.close();
          jobs.push({ id: c.id, source: c.source, output_dir: outDir });
          continue;
        }
        const report = await convertToSafetensors({ ...c.options, outDir });
        reports.set(c.id, report);
        jobs.push({
          id: c.id,
          source: c.source,
          output_dir: outDir,
          dtype: c.dtype,
          reference: c.reference,
          inputs: c.inputs,
          reference_prefix: c.referencePrefix,
        });
      } catch (e) {
        reports.set(c.id, e as Error);
      }
    }
    // One Python process checks every conversion: importing torch once keeps this fast.
    const jobsFile = path.join(tmp.dir, 'jobs.json');
    writeFileSync(jobsFile, JSON.stringify(jobs));
    for (const r of pythonJson<CheckResult[]>(CHECK, [jobsFile])) checks.set(r.id, r);
  }, 600_000);
  afterAll(() => tmp?.cleanup());

  it('covers every generated model and format', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  const all = [...generatedCases(''), ...sharedCases()].map((c) => c.id);
  for (const id of all) {
    it(id, () => {
      const c = cases.find((x) => x.id === id)!;
      const r0 = checks.get(id)!;
      if (c.tolerance === 'no-model') {
        expect(r0.error).toBeUndefined();
        expect(r0.tensors).toMatchObject({ missing: [], extra: [], mismatched: [] });
        expect(r0.tensors!.checked).toBeGreaterThanOrEqual(15);
        return;
      }
      const report = reports.get(id);
      if (report instanceof Error) throw report;
      expect(report).toBeDefined();
      c.check?.(report!);
      const r = checks.get(id)!;
      expect(r.error).toBeUndefined();
      expect(r.tensors!.mismatched).toEqual([]);
      // TorchScript state also holds buffers open_clip rebuilds (attn_mask): dropped, and reported.
      expect(r.tensors!.missing.sort()).toEqual([...report!.extraBuffers].sort());
      if (report!.format === 'torchscript') expect(report!.extraBuffers).toContain('attn_mask');
      expect(r.tensors!.extra).toEqual([]);
      const { image, text } = r.embeds!;
      if (c.tolerance === 'exact') {
        // Bit-identical weights on the same CPU and torch build give bit-identical embeddings.
        expect(image.max_abs).toBe(0);
        expect(text.max_abs).toBe(0);
      } else if (c.tolerance === 'close') {
        // References made with torch 2.11 elsewhere differ from torch 2.13 here in the last ulps.
        expect(image.max_rel).toBeLessThan(1e-5);
        expect(text.max_rel).toBeLessThan(1e-5);
      } else {
        // fp16/bf16 weights run in fp32 against the fp32 reference.
        expect(image.min_cos).toBeGreaterThan(0.999);
        expect(text.min_cos).toBeGreaterThan(0.999);
        expect(image.max_rel).toBeLessThan(c.dtype === 'bf16' ? 3e-2 : 3e-3);
        expect(text.max_rel).toBeLessThan(c.dtype === 'bf16' ? 3e-2 : 3e-3);
      }
    });
  }
});
