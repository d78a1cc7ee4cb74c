import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasOracle, needsShared, sharedFixtures, tempDir } from '#test-support';
import { readReference } from './reference.js';
import { makeReference, remakeReference } from './test-utils/make-reference.js';
import { expectSameCpuFp32 } from './test-utils/same-reference.js';

const tmp = tempDir('cliphub-makeref-shared-');
afterAll(() => tmp.cleanup());

// The shared references were made on another machine's CPU: their text embeddings differ from this
// CPU's by one or two ulps (6.6e-7 absolute, measured also with plain open_clip.create_model), so
// these compare to fp32 rounding, 1e-6 of the largest value, instead of bit for bit.
describe.skipIf(!hasOracle || !needsShared('generator vs the H100-made shared references'))(
  'make_reference.py on ../shared tiny models',
  { concurrent: true },
  () => {
    it.each(['tiny-vit-gelu', 'tiny-vit-quickgelu'])(
      'reproduces shared %s cpu_fp32 to fp32 rounding',
      async (model) => {
        const dir = path.join(sharedFixtures as string, 'tiny', model);
        const out = path.join(tmp.dir, `${model}.safetensors`);
        const r = await remakeReference(dir, out);
        expect(r.status, r.stderr).toBe(0);
        expectSameCpuFp32(await readReference(out), await readReference(path.join(dir, 'reference.safetensors')), 1e-6);
      },
    );

    it('runs real images and texts through open_clip preprocess and tokenizer (--images/--texts)', async () => {
      const dir = path.join(sharedFixtures as string, 'tiny', 'tiny-vit-gelu');
      const images = ['astronaut.png', 'chelsea.jpg'].map((f) => path.join(sharedFixtures as string, 'preprocess', f));
      const out = path.join(tmp.dir, 'images.safetensors');
      const r = await makeReference([
        `local-dir:${dir}`,
        '--out',
        out,
        '--images',
        ...images,
        '--texts',
        'an astronaut',
        'a cat',
      ]);
      expect(r.status, r.stderr).toBe(0);
      const ref = await readReference(out);
      expect(ref).toMatchObject({ n: 2, imageShape: [3, 32, 32], contextLength: 77 });
      expect(ref.metadata.texts).toEqual(['an astronaut', 'a cat']);
      expect(ref.metadata.raw.inputs).toBe('images via open_clip preprocess');
      expect(ref.inputIds?.[0]).toBe(49406n); // start-of-text
      // OpenAI-normalized pixels of a real photo: bounded and not the seeded randn
      const px = ref.pixelValues as Float32Array;
      expect(Math.max(...px)).toBeLessThan(2.7);
      expect(Math.min(...px)).toBeGreaterThan(-1.9);
    });
  },
);
