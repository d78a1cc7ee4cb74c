import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertToOnnx, type OnnxConvertReport } from '@cliphub/convert';
import { compareRows } from '@cliphub/core';
import { openSafetensors } from '@cliphub/safetensors';
import { loadModel, runText, runVision } from '@cliphub/runtime';
import { cliBin, generatedFixtures, hasOracle, oracleVocabPath, pythonJson, repoRoot, tempDir } from '#test-support';

const models = path.join(generatedFixtures, 'models');

async function readRef(file: string): Promise<Record<string, { data: Float32Array | BigInt64Array; shape: number[] }>> {
  const st = await openSafetensors(file);
  const out: Record<string, { data: Float32Array | BigInt64Array; shape: number[] }> = {};
  for (const [name, info] of st.header.tensors) {
    const bytes = await st.readTensor(name);
    const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    if (info.dtype === 'F32') out[name] = { data: new Float32Array(buf), shape: info.shape };
    if (info.dtype === 'I64') out[name] = { data: new BigInt64Array(buf), shape: info.shape };
  }
  await st.close();
  return out;
}

/** min cosine and max |d| / max|ref| over the rows of two [n, d] matrices. */
function compare(got: Float32Array, want: Float32Array, d: number): { minCos: number; relMax: number } {
  const { minCos, maxAbs, maxRef } = compareRows(got, want, d);
  return { minCos, relMax: maxAbs / maxRef };
}

async function fidelity(
  dir: string,
  reference: string,
): Promise<{ image: ReturnType<typeof compare>; text: ReturnType<typeof compare> }> {
  const ref = await readRef(reference);
  const model = await loadModel(dir, { vocabPath: oracleVocabPath ?? undefined });
  const px = ref['inputs.pixel_values']!;
  const ids = ref['inputs.input_ids']!;
  const n = px.shape[0]!;
  const d = model.embedDim;
  const image = compare(
    await runVision(model, px.data as Float32Array, n),
    ref['cpu_fp32.image_embeds']!.data as Float32Array,
    d,
  );
  const text = compare(
    await runText(model, ids.data as BigInt64Array, n),
    ref['cpu_fp32.text_embeds']!.data as Float32Array,
    d,
  );
  return { image, text };
}

describe.skipIf(!hasOracle || !existsSync(models))(
  'convert --to onnx: every tiny model, from torch checkpoints, reproduces open_clip',
  () => {
    let tmp: ReturnType<typeof tempDir>;
    beforeAll(() => {
      tmp = tempDir();
    });
    afterAll(() => tmp?.cleanup());
    const names = existsSync(models) ? readdirSync(models).sort() : [];
    const exported: Array<{ name: string; dir: string }> = [];

    for (const name of names) {
      it(`${name}: torch.save checkpoint -> fp32 ONNX within 0.99999 cosine`, async () => {
        const dir = path.join(tmp.dir, name);
        // Standard ONNX ops, so onnx.checker can check these exports below; the fused default is covered next.
        const report: OnnxConvertReport = await convertToOnnx({
          input: path.join(models, name, 'open_clip_pytorch_model.bin'),
          outDir: dir,
          contribOps: false,
        });
        expect(report.files).toEqual(['cliphub.json', 'open_clip_config.json', 'text.onnx', 'vision.onnx']);
        expect(readdirSync(dir).sort()).toEqual(report.files);
        const manifest = JSON.parse(readFileSync(path.join(dir, 'cliphub.json'), 'utf8'));
        expect(manifest.source.sha256).toMatch(/^[0-9a-f]{64}$/);
        const f = await fidelity(dir, path.join(models, name, 'reference.safetensors'));
        expect(f.image.minCos).toBeGreaterThanOrEqual(0.99999);
        expect(f.text.minCos).toBeGreaterThanOrEqual(0.99999);
        expect(f.image.relMax).toBeLessThanOrEqual(1e-4);
        expect(f.text.relMax).toBeLessThanOrEqual(1e-4);
        exported.push({ name, dir });
      });
    }

    it('exports a TorchScript archive and a training checkpoint as well', async () => {
      for (const file of ['torchscript.pt', 'epoch_1.pt']) {
        const dir = path.join(tmp.dir, `vit-gelu-${file}`);
        await convertToOnnx({
          input: path.join(models, 'tiny-vit-gelu', file),
          outDir: dir,
          model: `local-dir:${path.join(models, 'tiny-vit-gelu')}`,
        });
        const f = await fidelity(dir, path.join(models, 'tiny-vit-gelu/reference.safetensors'));
        expect(f.image.minCos, file).toBeGreaterThanOrEqual(0.99999);
        expect(f.text.minCos, file).toBeGreaterThanOrEqual(0.99999);
      }
    });

    it('a forced activation swap (QuickGELU model exported as GELU) breaks fidelity', async () => {
      const dir = path.join(tmp.dir, 'swapped');
      await convertToOnnx({
        input: path.join(models, 'tiny-vit-quickgelu'),
        outDir: dir,
        activation: 'gelu',
        force: true,
      });
      const f = await fidelity(dir, path.join(models, 'tiny-vit-quickgelu/reference.safetensors'));
      expect(Math.min(f.image.minCos, f.text.minCos)).toBeLessThan(0.99999);
    });

    it('onnx.checker (full_check) accepts every export and Python onnxruntime agrees with onnxruntime-node', async () => {
      const jobs = exported.map(({ name, dir }) => ({
        dir,
        reference: path.join(models, name, 'reference.safetensors'),
      }));
      expect(jobs.length).toBe(names.length);
      const jobsFile = path.join(tmp.dir, 'onnx-jobs.json');
      writeFileSync(jobsFile, JSON.stringify(jobs));
      const results = pythonJson<Array<{ dir: string; checked: boolean; image_cos: number; text_cos: number }>>(
        `
import json, sys, onnx, numpy as np, onnxruntime as ort
from safetensors.numpy import load_file
out = []
for job in json.load(open(sys.argv[1])):
    ref = load_file(job["reference"])
    r = {"dir": job["dir"], "checked": True}
    for tower, inp, key in (("vision", "inputs.pixel_values", "image"), ("text", "inputs.input_ids", "text")):
        path = f"{job['dir']}/{tower}.onnx"
        onnx.checker.check_model(path, full_check=True)
        s = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        got = s.run(None, {s.get_inputs()[0].name: ref[inp]})[0]
        want = ref[f"cpu_fp32.{key}_embeds"]
        cos = (got * want).sum(-1) / np.linalg.norm(got, axis=-1) / np.linalg.norm(want, axis=-1)
        r[f"{key}_cos"] = float(cos.min())
    out.append(r)
print(json.dumps(out))
`,
        [jobsFile],
      );
      for (const r of results) {
        expect(r.checked).toBe(true);
        expect(r.image_cos, r.dir).toBeGreaterThanOrEqual(0.99999);
        expect(r.text_cos, r.dir).toBeGreaterThanOrEqual(0.99999);
      }
    });
  },
);

describe.skipIf(!existsSync(cliBin))('cliphub convert --to onnx (built CLI)', () => {
  const demo = path.join(repoRoot, 'examples/tiny-clip');
  const cli = (args: string[]) => spawnSync(process.execPath, [cliBin, ...args], { encoding: 'utf8' });
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(() => {
    tmp = tempDir();
  });
  afterAll(() => tmp?.cleanup());

  it('exports the demo model with --json, reporting node counts per tower', () => {
    const out = path.join(tmp.dir, 'onnx');
    const r = cli(['convert', demo, '--to', 'onnx', '--out', out, '--dtype', 'int8', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.dtype).toBe('int8');
    expect(report.towers.map((t: { tower: string }) => t.tower).sort()).toEqual(['text', 'vision']);
    for (const t of report.towers) expect(Object.keys(t.nodeCounts).length).toBeGreaterThan(3);
    const fused = JSON.parse(
      cli(['convert', demo, '--to', 'onnx', '--out', path.join(tmp.dir, 'fused'), '--json']).stdout,
    );
    const plain = JSON.parse(
      cli(['convert', demo, '--to', 'onnx', '--out', path.join(tmp.dir, 'plain'), '--plain-onnx', '--json']).stdout,
    );
    const ops = (r: { towers: Array<{ nodeCounts: Record<string, number> }> }): string[] =>
      r.towers.flatMap((t) => Object.keys(t.nodeCounts));
    expect(fused.contribOps).toBe(true);
    expect(ops(fused).some((op) => /Attention|QuickGelu/.test(op))).toBe(true);
    expect(plain.contribOps).toBe(false);
    expect(ops(plain).some((op) => /Attention|QuickGelu/.test(op))).toBe(false);
    expect(readdirSync(out).sort()).toEqual(['cliphub.json', 'open_clip_config.json', 'text.onnx', 'vision.onnx']);
  });

  it('bad ONNX options exit 2 and leave no files', () => {
    for (const args of [
      ['--dtype', 'bf16'],
      ['--opset', '9'],
      ['--towers', 'audio'],
    ]) {
      const out = path.join(tmp.dir, `bad-${args[1]}`);
      const r = cli(['convert', demo, '--to', 'onnx', '--out', out, ...args]);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
    }
  });
});
