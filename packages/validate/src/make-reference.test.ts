import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generatedFixtures, hasOracle, tempDir } from '#test-support';
import { readReference } from './reference.js';
import { makeReference, remakeReference } from './test-utils/make-reference.js';
import { expectSameCpuFp32 } from './test-utils/same-reference.js';

const tmp = tempDir('cliphub-makeref-');
afterAll(() => tmp.cleanup());

// The CPU fp32 output of the generator must equal, bit for bit, what the fixtures hold.
// Python startup dominates (seconds each), so the runs overlap.
describe.skipIf(!hasOracle)('make_reference.py (CPU, oracle venv)', { concurrent: true }, () => {
  const models = ['tiny-rn-quickgelu'];
  it.each(models)('reproduces %s cpu_fp32 given its inputs (--inputs-from)', async (model) => {
    const dir = path.join(generatedFixtures, 'models', model);
    const out = path.join(tmp.dir, `${model}.safetensors`);
    const r = await remakeReference(dir, out);
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
    const withModes = (...modes: string[]) =>
      makeReference([`local-dir:${dir}`, '--out', path.join(tmp.dir, 'x.safetensors'), '--modes', ...modes]);
    const cuda = await withModes('cpu_fp32,cuda_fp16-autocast', '--cpu-only');
    expect(cuda.status).toBe(2);
    expect(cuda.stderr).toMatch(/cuda_fp16-autocast needs a CUDA GPU/);
    const mode = await withModes('cpu_fp64');
    expect(mode.status).toBe(2);
    expect(mode.stderr).toMatch(/unknown mode 'cpu_fp64'/);
    const missing = await makeReference([`local-dir:${tmp.dir}`, '--out', path.join(tmp.dir, 'y.safetensors')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/no open_clip_config.json/);
  });
});
