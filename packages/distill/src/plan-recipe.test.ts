import { describe, expect, it } from 'vitest';
import { planRecipe, type DistillPlan } from './plan-recipe.js';
import type { RecipeInput } from './recipe-schema.js';
import { asLoaded, baseRecipe } from './test-utils/recipe.js';

async function plan(edit: (r: RecipeInput) => void): Promise<DistillPlan> {
  const r = baseRecipe();
  edit(r);
  return planRecipe(asLoaded(r), { outDir: '/tmp/cliphub-distill-plan-test' });
}
const errors = (p: DistillPlan) => p.checks.filter((c) => c.level === 'error');
const arg = (p: DistillPlan, flag: string) => p.args[p.args.indexOf(flag) + 1];

describe('planRecipe', () => {
  it('passes a consistent recipe and emits the distillation flags', async () => {
    const p = await plan(() => {});
    expect(errors(p)).toEqual([]);
    expect(p.ok).toBe(true);
    expect(p.args.slice(0, 6)).toEqual([
      '--model',
      'ViT-B-32',
      '--distill-model',
      'ViT-L-14',
      '--distill-pretrained',
      'datacomp_xl_s13b_b90k',
    ]);
    expect(arg(p, '--accum-freq')).toBe('1');
    expect(arg(p, '--train-num-samples')).toBe('10000000');
    expect(p.args).toContain('--dataset-resampled');
    expect(p.args.slice(-3)).toEqual(['--save-most-recent', '--resume', 'latest']);
    expect(p.memory!.totalGiB).toBeGreaterThan(10);
    expect(p.compute!.gpuHours).toBeGreaterThan(0);
  });

  it('switches a QuickGELU teacher tag to the -quickgelu architecture, with a notice', async () => {
    const p = await plan((r) => void (r.teacher = { model: 'ViT-L-14:openai' }));
    expect(errors(p)).toEqual([]);
    expect(arg(p, '--distill-model')).toBe('ViT-L-14-quickgelu');
    expect(arg(p, '--distill-pretrained')).toBe('openai');
    expect(p.checks).toContainEqual({
      id: 'quickgelu',
      level: 'notice',
      message:
        'teacher ViT-L-14:openai was trained with QuickGELU but ViT-L-14 builds GELU: using ViT-L-14-quickgelu (same weights, QuickGELU); open_clip would only warn and lose accuracy',
    });
  });

  it('switches a student initialised from a QuickGELU tag too', async () => {
    const p = await plan((r) => void (r.student = { model: 'ViT-B-32', pretrained: 'openai' }));
    expect(errors(p)).toEqual([]);
    expect(p.args.slice(0, 4)).toEqual(['--model', 'ViT-B-32-quickgelu', '--pretrained', 'openai']);
    expect(p.args).not.toContain('--force-quick-gelu');
  });

  it('rejects mismatched tokenizers', async () => {
    const p = await plan((r) => void (r.student = { model: 'ViT-B-16-SigLIP' }));
    const tok = errors(p).find((c) => c.id === 'tokenizer');
    expect(tok?.message).toBe(
      "tokenizers differ: teacher uses the CLIP BPE tokenizer but the student the HF tokenizer timm/ViT-B-16-SigLIP. open_clip_train tokenizes every caption once, with the student's tokenizer, and feeds the same ids to the teacher; pick a student with the teacher's tokenizer",
    );
  });

  it('rejects a context length or normalisation mismatch unless the student overrides it', async () => {
    const bad = await plan((r) => {
      r.teacher = { model: 'ViT-SO400M-14-SigLIP:webli' };
      r.student = { model: 'ViT-B-16-SigLIP' };
    });
    expect(errors(bad).map((c) => c.id)).toEqual(expect.arrayContaining(['tokenizer', 'preprocess']));
    expect(errors(bad).find((c) => c.id === 'tokenizer')!.message).toMatch(
      /context lengths differ \(teacher 16, student 64\).*set student.overrides.contextLength: 16/,
    );
    expect(errors(bad).find((c) => c.id === 'preprocess')!.message).toMatch(
      /normalisation differs .*set student.overrides.imageMean: \[0.5, 0.5, 0.5\]/,
    );
    const fixed = await plan((r) => {
      r.teacher = { model: 'ViT-SO400M-14-SigLIP:webli' };
      r.student = {
        model: 'ViT-B-16-SigLIP',
        overrides: { contextLength: 16, imageMean: [0.5, 0.5, 0.5], imageStd: [0.5, 0.5, 0.5] },
      };
    });
    expect(errors(fixed).map((c) => c.id)).toEqual(['logit-bias', 'logit-bias']);
    expect(arg(fixed, '--force-context-length')).toBe('16');
    expect(fixed.args.slice(fixed.args.indexOf('--image-std'), fixed.args.indexOf('--image-std') + 4)).toEqual([
      '--image-std',
      '0.5',
      '0.5',
      '0.5',
    ]);
  });

  it('rejects a teacher without weights', async () => {
    const p = await plan((r) => void (r.teacher = { model: 'ViT-L-14' }));
    expect(errors(p)).toEqual([
      {
        id: 'teacher-weights',
        level: 'error',
        message: 'teacher ViT-L-14 has no weights: give a tag (ARCH:TAG) or a weights file in teacher.pretrained',
      },
    ]);
  });

  it('rejects accum_freq > 1', async () => {
    const p = await plan((r) => void (r.schedule.accumFreq = 4));
    expect(errors(p)).toEqual([
      {
        id: 'accum-freq',
        level: 'error',
        message:
          'schedule.accumFreq is 4, but open_clip_train 3.3.0 asserts accum_freq == 1 when distilling; set it to 1 and reach the global batch with more GPUs or a larger batchPerGpu',
      },
    ]);
  });

  it('rejects CoCa as student or teacher', async () => {
    const p = await plan((r) => void (r.student = { model: 'coca_ViT-B-32' }));
    expect(errors(p).find((c) => c.id === 'coca')!.message).toMatch(
      /^student coca_ViT-B-32 is a CoCa model: open_clip_train 3\.3\.0 cannot distill CoCa/,
    );
    const t = await plan((r) => void (r.teacher = { model: 'coca_ViT-L-14:laion2b_s13b_b90k' }));
    expect(errors(t).some((c) => c.id === 'coca' && c.message.startsWith('teacher coca_ViT-L-14'))).toBe(true);
  });

  it('rejects distillation-only loss, which open_clip_train cannot do', async () => {
    const p = await plan((r) => void (r.loss = { mode: 'distill' }));
    expect(errors(p)[0]!.message).toMatch(
      /^loss.mode 'distill' \(distillation only\) is not available: .*always adds the contrastive loss/,
    );
  });

  it('rejects a flag unknown to open_clip_train in extraArgs', async () => {
    const p = await plan((r) => void (r.extraArgs = ['--distill-weight', '0.5']));
    expect(errors(p)).toEqual([
      {
        id: 'flags',
        level: 'error',
        message: expect.stringMatching(/^'--distill-weight' is not an open_clip_train 3\.3\.0 argument/),
      },
    ]);
  });

  it('rejects an impossible batch and a memory budget that does not fit', async () => {
    const batch = await plan(
      (r) => void (r.data = { kind: 'webdataset', shards: '/d/{0..9}.tar', samples: 1000, resampled: true }),
    );
    expect(errors(batch).map((c) => c.id)).toContain('schedule');
    const mem = await plan((r) => {
      r.teacher = { model: 'ViT-bigG-14:laion2b_s39b_b160k' };
      r.student = { model: 'ViT-L-14' };
      r.schedule.batchPerGpu = 512;
      r.hardware.gpu = 'V100-16GB';
      r.schedule.precision = 'amp';
    });
    const m = errors(mem).find((c) => c.id === 'memory');
    expect(m?.message).toMatch(
      /^~\d+\.\d GiB per GPU \(student states .*\) of 16 GiB: does not fit; lower schedule.batchPerGpu, enable gradCheckpointing, or use a larger GPU$/,
    );
    expect(mem.memory!.totalGiB).toBeGreaterThan(16);
  });

  it('rejects bf16 on a GPU without it and an unknown GPU type', async () => {
    expect(errors(await plan((r) => void (r.hardware.gpu = 'V100-32GB'))).map((c) => c.id)).toEqual(['precision']);
    const u = await plan((r) => void (r.hardware.gpu = 'TPUv5'));
    expect(errors(u)[0]!.message).toMatch(/^unknown GPU type 'TPUv5'; use one of H200, H100-80GB/);
  });
});
