import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generatedFixtures, hasOracle, tempDir } from '#test-support';
import { towerSupport } from './tower-support.js';
import { exportAndEmbed, loadReference, modelCfgOf } from '#test-support/onnx-fidelity.js';
import { pyCheck, pyJob, type PyJob } from './test-utils/py-check.js';

// A tiny variant of every open_clip 3.3.0 architecture, made by the real open_clip
// (tools/fixtures/make_export_zoo.py; tools/fixtures/zoo/ says how each family shrinks).
const zooDir = path.join(generatedFixtures, 'export-zoo');
interface ZooRow {
  arch: string;
  dir: string | null;
  error: string | null;
}
const rows: ZooRow[] = existsSync(path.join(zooDir, 'zoo.json'))
  ? (JSON.parse(readFileSync(path.join(zooDir, 'zoo.json'), 'utf8')) as ZooRow[])
  : [];

/**
 * Architectures whose tower families the exporter does not build yet, by family. Each family's
 * builder removes its names; the list must end empty (every architecture exports).
 */
const PENDING: Record<string, RegExp> = {};
const pendingFamily = (arch: string): string | undefined =>
  Object.entries(PENDING).find(([, re]) => re.test(arch))?.[0];

const FP32 = { minCos: 0.99999, maxRel: 1e-4 };
const FP16_MIN_COS = 0.999;

describe.skipIf(!hasOracle || rows.length === 0)('every open_clip architecture exports (tiny variants)', () => {
  const scratch = tempDir('cliphub-zoo-');
  afterAll(() => scratch.cleanup());
  const plainJobs: PyJob[] = [];

  it('the zoo holds all 144 architectures, each built by open_clip', () => {
    expect(rows).toHaveLength(144);
    expect(rows.filter((r) => r.error && !pendingFamily(r.arch)).map((r) => `${r.arch}: ${r.error}`)).toEqual([]);
  });

  for (const row of rows) {
    const family = pendingFamily(row.arch);
    if (family) {
      it.skip(`${row.arch} (pending: ${family})`, () => {});
      continue;
    }
    it(`${row.arch}: fp32 (fused and plain ONNX) matches open_clip, fp16 within bounds`, async () => {
      const dir = path.join(zooDir, row.dir as string);
      expect(towerSupport(modelCfgOf(dir))).toEqual({ vision: { supported: true }, text: { supported: true } });
      const ref = await loadReference(path.join(dir, 'reference.safetensors'));
      for (const [variant, options] of [
        ['fused', {}],
        ['plain', { contribOps: false }],
        ['fp16', { dtype: 'fp16' }],
      ] as const) {
        const out = path.join(scratch.dir, row.arch, variant);
        const { image, text, img, txt } = await exportAndEmbed(dir, out, ref, options);
        if (variant === 'fp16') {
          expect(Math.min(img.minCos, txt.minCos), variant).toBeGreaterThanOrEqual(FP16_MIN_COS);
          continue;
        }
        expect({ variant, image: img.minCos >= FP32.minCos, text: txt.minCos >= FP32.minCos }).toEqual({
          variant,
          image: true,
          text: true,
        });
        expect(Math.max(img.maxRel, txt.maxRel), variant).toBeLessThanOrEqual(FP32.maxRel);
        if (variant === 'plain') {
          const refFile = path.join(dir, 'reference.safetensors');
          plainJobs.push(pyJob(path.join(out, 'vision.onnx'), 'vision', refFile, image));
          plainJobs.push(pyJob(path.join(out, 'text.onnx'), 'text', refFile, text));
        }
      }
    });
  }

  // One interpreter for every plain graph: onnx.checker full_check and Python onnxruntime agree.
  // one Python run checks every plain graph of the zoo: minutes on a shared CPU, not vitest's default minute
  it('plain-ONNX graphs pass onnx.checker (full_check) and match in Python onnxruntime', { timeout: 900_000 }, () => {
    expect(plainJobs.length).toBeGreaterThan(0);
    const bad = pyCheck(plainJobs, scratch.dir).filter(
      (v) => v.checker !== 'ok' || v.minCos < FP32.minCos || v.maxRel > FP32.maxRel || v.maxDiffVsNode > 1e-4,
    );
    expect(bad).toEqual([]);
  });
});
