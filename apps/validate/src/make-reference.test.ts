import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generatedFixtures, hasOracle, needsShared, sharedFixtures, tempDir } from '#test-support';
import { readReference, type Reference } from './reference.js';
import { makeReference } from './test-utils/make-reference.js';

function bytesEqual(a: ArrayBufferView | null, b: ArrayBufferView | null): boolean {
  if (!a || !b) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Bit-exact by default; `tol` (max |Δ| / max |ref|) for references made on another machine's CPU. */
function expectSameCpuFp32(got: Reference, want: Reference, tol = 0): void {
  expect(got.n).toBe(want.n);
  expect(bytesEqual(got.pixelValues, want.pixelValues)).toBe(true);
  expect(bytesEqual(got.inputIds, want.inputIds)).toBe(true);
  const g = got.sets.get('cpu_fp32');
  const w = want.sets.get('cpu_fp32');
  expect(g && w).toBeTruthy();
  if (tol === 0) {
    expect(bytesEqual(g?.image ?? null, w?.image ?? null)).toBe(true);
    expect(bytesEqual(g?.text ?? null, w?.text ?? null)).toBe(true);
  } else {
    for (const t of ['image', 'text'] as const) {
      const a = g?.[t] as Float32Array;
      const b = w?.[t] as Float32Array;
      const scale = Math.max(...b.map(Math.abs));
      const worst = Math.max(...a.map((v, i) => Math.abs(v - (b[i] as number))));
      expect(worst / scale).toBeLessThanOrEqual(tol);
    }
  }
  expect(got.logitScale).toBe(want.logitScale);
  expect(got.logitBias).toBe(want.logitBias);
}

const tmp = tempDir('cliphub-makeref-');
afterAll(() => tmp.cleanup());

// The CPU fp32 output of the generator must equal, bit for bit, what the fixtures hold.
// Python startup dominates (seconds each), so the runs overlap.
describe.skipIf(!hasOracle)('make_reference.py (CPU, oracle venv)', { concurrent: true }, () => {
  const models = ['tiny-rn-quickgelu'];
  it.each(models)('reproduces %s cpu_fp32 given its inputs (--inputs-from)', async (model) => {
    const dir = path.join(generatedFixtures, 'models', model);
    const out = path.join(tmp.dir, `${model}.safetensors`);
    const r = await makeReference([`local-dir:${dir}`, '--out', out, '--inputs-from', path.join(dir, 'reference.safetensors')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const got = await readReference(out);
    expectSameCpuFp32(got, await readReference(path.join(dir, 'reference.safetensors')));
    expect([...got.sets.keys()]).toEqual(['cpu_fp32']); // no GPU here, so no CUDA modes
    expect(got.metadata.raw.open_clip_version).toBe('3.3.0');
  });

  it('recreates the seeded inputs by itself (SigLIP-like: logit_bias, random ids for a toy vocab)', async () => {
    const dir = path.join(generatedFixtures, 'models', 'tiny-siglip-like');
    const out = path.join(tmp.dir, 'siglip.safetensors');
    const r = await makeReference([`local-dir:${dir}`, '--out', out]);
    expect(r.status).toBe(0);
    expectSameCpuFp32(await readReference(out), await readReference(path.join(dir, 'reference.safetensors')));
  });

  it('refuses CUDA modes without a GPU and bad specs with exit 2 and a message', async () => {
    const dir = path.join(generatedFixtures, 'models', 'tiny-vit-gelu');
    const cuda = await makeReference([`local-dir:${dir}`, '--out', path.join(tmp.dir, 'x.safetensors'), '--modes', 'cpu_fp32,cuda_fp16-autocast', '--cpu-only']);
    expect(cuda.status).toBe(2);
    expect(cuda.stderr).toMatch(/cuda_fp16-autocast needs a CUDA GPU/);
    const mode = await makeReference([`local-dir:${dir}`, '--out', path.join(tmp.dir, 'x.safetensors'), '--modes', 'cpu_fp64']);
    expect(mode.status).toBe(2);
    expect(mode.stderr).toMatch(/unknown mode 'cpu_fp64'/);
    const missing = await makeReference([`local-dir:${tmp.dir}`, '--out', path.join(tmp.dir, 'y.safetensors')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/no open_clip_config.json/);
  });
});

// The shared references were made on another machine's CPU: their text embeddings differ from this
// CPU's by one or two ulps (6.6e-7 absolute, measured also with plain open_clip.create_model), so
// these compare to fp32 rounding, 1e-6 of the largest value, instead of bit for bit.
describe.skipIf(!hasOracle || !needsShared('generator vs the H100-made shared references'))('make_reference.py on ../shared tiny models', { concurrent: true }, () => {
  it.each(['tiny-vit-gelu', 'tiny-vit-quickgelu'])('reproduces shared %s cpu_fp32 to fp32 rounding', async (model) => {
    const dir = path.join(sharedFixtures as string, 'tiny', model);
    const out = path.join(tmp.dir, `shared-${model}.safetensors`);
    const r = await makeReference([`local-dir:${dir}`, '--out', out, '--inputs-from', path.join(dir, 'reference.safetensors')]);
    expect(r.status, r.stderr).toBe(0);
    expectSameCpuFp32(await readReference(out), await readReference(path.join(dir, 'reference.safetensors')), 1e-6);
  });
});
