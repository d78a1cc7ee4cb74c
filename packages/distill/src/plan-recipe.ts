import path from 'node:path';
import { buildTrainArgs } from './build-train-args.js';
import { DistillError } from './errors.js';
import { estimateCompute, type ComputeEstimate } from './estimate-compute.js';
import { estimateMemory, type MemoryEstimate } from './estimate-memory.js';
import { DEFAULT_MFU, GPU_TYPES, gpuType, type GpuType } from './gpus.js';
import type { LoadedRecipe } from './load-recipe.js';
import { modelFacts, type ModelFacts } from './model-facts.js';
import { OPEN_CLIP_TRAIN_VERSION } from './open-clip-train-args.generated.js';
import type { Recipe } from './recipe-schema.js';
import { computeSchedule, type Schedule } from './schedule.js';
import { validateTrainArgs } from './validate-train-args.js';

export type CheckLevel = 'ok' | 'notice' | 'warning' | 'error';

export interface Check {
  id: string;
  level: CheckLevel;
  message: string;
}

export interface DistillPlan {
  recipe: Recipe;
  file: string;
  teacher: ModelFacts;
  student: ModelFacts;
  /** open_clip_train.main's argument list. */
  args: string[];
  checks: Check[];
  /** No check is an error. */
  ok: boolean;
  schedule: Schedule;
  gpu: GpuType | null;
  memory: MemoryEstimate | null;
  compute: ComputeEstimate | null;
  outDir: string;
}

export interface PlanOptions {
  /** Where emit will write (custom-config model folders are named from it). Default: ./distill-<name>. */
  outDir?: string;
}

const fmt = (v: readonly number[]): string => `[${v.map((x) => Number(x.toFixed(8))).join(', ')}]`;
const same = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((x, i) => Math.abs(x - b[i]!) < 1e-6);

function tokenizerChecks(t: ModelFacts, s: ModelFacts, recipe: Recipe, add: (c: Check) => void): void {
  const tt = t.tokenizer;
  const stt = s.tokenizer;
  const problems: string[] = [];
  if (tt.kind !== stt.kind || (tt.kind === 'hf' && tt.name !== stt.name)) {
    problems.push(
      `teacher uses the ${tt.kind === 'hf' ? `HF tokenizer ${tt.name}` : 'CLIP BPE tokenizer'} but the student the ${stt.kind === 'hf' ? `HF tokenizer ${stt.name}` : 'CLIP BPE tokenizer'}`,
    );
  } else if (tt.vocabSize !== stt.vocabSize) {
    problems.push(`vocabularies differ (teacher ${tt.vocabSize}, student ${stt.vocabSize})`);
  }
  const studentCtx = recipe.student.overrides?.contextLength ?? stt.contextLength;
  if (problems.length) {
    add({
      id: 'tokenizer',
      level: 'error',
      message: `tokenizers differ: ${problems.join('; ')}. open_clip_train tokenizes every caption once, with the student's tokenizer, and feeds the same ids to the teacher; pick a student with the teacher's tokenizer`,
    });
  } else if (studentCtx !== tt.contextLength) {
    add({
      id: 'tokenizer',
      level: 'error',
      message: `context lengths differ (teacher ${tt.contextLength}, student ${studentCtx}): the teacher would get ${studentCtx}-token captions; set student.overrides.contextLength: ${tt.contextLength}`,
    });
  } else {
    add({
      id: 'tokenizer',
      level: 'ok',
      message: `same tokenizer (${tt.kind === 'hf' ? tt.name : 'CLIP BPE'}, vocab ${tt.vocabSize ?? 'as configured'}, context ${tt.contextLength})`,
    });
  }
}

function preprocessChecks(t: ModelFacts, s: ModelFacts, recipe: Recipe, add: (c: Check) => void): void {
  const o = recipe.student.overrides ?? {};
  const size: [number, number] = o.imageSize ? [o.imageSize, o.imageSize] : s.imageSize;
  const mean = o.imageMean ?? s.mean;
  const std = o.imageStd ?? s.std;
  const why =
    "open_clip_train preprocesses each image once, with the student's transform, and gives the same tensor to the teacher";
  let bad = false;
  if (!same(size, t.imageSize)) {
    bad = true;
    add({
      id: 'preprocess',
      level: 'error',
      message: `image sizes differ (teacher ${t.imageSize.join('x')}, student ${size.join('x')}): ${why}; set student.overrides.imageSize: ${t.imageSize[0]} or pick a student at the teacher's resolution`,
    });
  }
  if (!same(mean, t.mean) || !same(std, t.std)) {
    bad = true;
    add({
      id: 'preprocess',
      level: 'error',
      message: `normalisation differs (teacher mean ${fmt(t.mean)} std ${fmt(t.std)}, student mean ${fmt(mean)} std ${fmt(std)}): ${why}; set student.overrides.imageMean: ${fmt(t.mean)} and imageStd: ${fmt(t.std)}`,
    });
  }
  if (!bad) {
    const overridden = o.imageMean || o.imageStd || o.imageSize ? " (with the recipe's student overrides)" : '';
    add({
      id: 'preprocess',
      level: 'ok',
      message: `same preprocessing${overridden}: ${t.imageSize.join('x')}, mean ${fmt(t.mean)}, std ${fmt(t.std)}`,
    });
  }
}

/**
 * Resolves a recipe's models and runs every check before launch: models and QuickGELU, CoCa/CLAP,
 * SigLIP logit bias, loss mode, accum_freq, tokenizer and preprocessing, schedule arithmetic, the
 * argument list against open_clip_train's table, memory per GPU and GPU-hours. Problems are reported
 * as checks; only an unreadable recipe or unknown model throws.
 */
export async function planRecipe(loaded: LoadedRecipe, options: PlanOptions = {}): Promise<DistillPlan> {
  const { recipe, file } = loaded;
  const dir = path.dirname(file);
  const outDir = path.resolve(options.outDir ?? `distill-${recipe.name}`);
  const checks: Check[] = [];
  const add = (c: Check): void => void checks.push(c);
  const teacher = await modelFacts(recipe.teacher, 'teacher', dir);
  const student = await modelFacts(recipe.student, 'student', dir);
  add({
    id: 'models',
    level: 'ok',
    message: `teacher ${teacher.trainModel}${teacher.trainPretrained ? ` (${teacher.trainPretrained})` : ''}, student ${student.trainModel}${student.trainPretrained ? ` from ${student.trainPretrained}` : ' from scratch'}`,
  });
  for (const f of [teacher, student]) {
    for (const n of f.notices) add({ id: /quickgelu/i.test(n) ? 'quickgelu' : 'models', level: 'notice', message: n });
    for (const e of f.errors) add({ id: e.code.toLowerCase().replace(/_/g, '-'), level: 'error', message: e.message });
  }
  if (!recipe.teacher.pretrained && teacher.arch && !teacher.trainPretrained) {
    add({
      id: 'teacher-weights',
      level: 'error',
      message: `teacher ${recipe.teacher.model} has no weights: give a tag (ARCH:TAG) or a weights file in teacher.pretrained`,
    });
  }
  for (const f of [teacher, student]) {
    if (f.coca)
      add({
        id: 'coca',
        level: 'error',
        message: `${f.label} is a CoCa model: open_clip_train ${OPEN_CLIP_TRAIN_VERSION} cannot distill CoCa (main.py asserts 'coca' is not in --model; DistillClipLoss has no captioning term); pick a CLIP ${f.role}`,
      });
    if (f.clap)
      add({
        id: 'clap',
        level: 'error',
        message: `${f.label} is a CLAP (audio-text) model: open_clip_train distills image-text CLIP models only; pick a CLIP ${f.role}`,
      });
    if (f.logitBias) {
      add({
        id: 'logit-bias',
        level: 'error',
        message: `${f.label} has a SigLIP logit_bias (init_logit_bias in its config): open_clip_train ${OPEN_CLIP_TRAIN_VERSION}'s DistillClipLoss.forward() takes no logit_bias, so the first step fails with TypeError; distill SigLIP models with a patched loss, or pick CLIP models`,
      });
    }
  }
  if (recipe.loss.mode === 'distill') {
    add({
      id: 'loss',
      level: 'error',
      message: `loss.mode 'distill' (distillation only) is not available: open_clip_train ${OPEN_CLIP_TRAIN_VERSION} with --distill-model always adds the contrastive loss to the distillation loss with equal weight (DistillClipLoss) and has no flag to drop it; use loss.mode: distill+contrastive`,
    });
  } else {
    add({
      id: 'loss',
      level: 'ok',
      message:
        'loss = contrastive (InfoNCE) + distillation (cross-entropy of student logits against teacher softmax, image and text), equal weights',
    });
  }
  if (recipe.schedule.accumFreq !== 1) {
    add({
      id: 'accum-freq',
      level: 'error',
      message: `schedule.accumFreq is ${recipe.schedule.accumFreq}, but open_clip_train ${OPEN_CLIP_TRAIN_VERSION} asserts accum_freq == 1 when distilling; set it to 1 and reach the global batch with more GPUs or a larger batchPerGpu`,
    });
  }
  tokenizerChecks(teacher, student, recipe, add);
  preprocessChecks(teacher, student, recipe, add);

  const schedule = computeSchedule(recipe);
  for (const e of schedule.errors) add({ id: 'schedule', level: 'error', message: e });
  for (const w of schedule.warnings) add({ id: 'schedule', level: 'warning', message: w });
  if (!schedule.errors.length) {
    add({
      id: 'schedule',
      level: 'ok',
      message: `global batch ${schedule.globalBatch} on ${schedule.gpus} GPU(s); ${schedule.epochs} epoch(s) of ${schedule.samplesPerEpoch} samples = ${schedule.totalSteps} steps, ${schedule.totalSamples} samples seen`,
    });
  }
  const h = recipe.hardware;
  if (h.cpusPerNode !== undefined && recipe.schedule.workers * h.gpusPerNode > h.cpusPerNode) {
    add({
      id: 'workers',
      level: 'warning',
      message: `${recipe.schedule.workers} loader workers x ${h.gpusPerNode} GPUs = ${recipe.schedule.workers * h.gpusPerNode} processes on ${h.cpusPerNode} CPUs per node; lower schedule.workers`,
    });
  }
  if (recipe.resume === 'none')
    add({
      id: 'resume',
      level: 'warning',
      message: `resume: none: relaunching fails with "Experiment already exists" for --name ${recipe.logging.name}; use resume: latest to continue after a preemption`,
    });

  const args = buildTrainArgs({ recipe, teacher, student, schedule, outDir });
  try {
    validateTrainArgs(args);
    add({
      id: 'flags',
      level: 'ok',
      message: `${args.filter((x) => x.startsWith('--')).length} flags, all in open_clip_train ${OPEN_CLIP_TRAIN_VERSION}'s argument table with valid values`,
    });
  } catch (e) {
    if (!(e instanceof DistillError)) throw e;
    add({ id: 'flags', level: 'error', message: e.message });
  }

  const gpu = gpuType(h.gpu) ?? null;
  if (!gpu && (h.memoryGiB === undefined || h.tflops === undefined)) {
    add({
      id: 'gpu',
      level: 'error',
      message: `unknown GPU type '${h.gpu}'; use one of ${GPU_TYPES.map((g) => g.name).join(', ')}, or give hardware.memoryGiB and hardware.tflops`,
    });
  }
  if (gpu && !gpu.bf16 && /bf16|bfloat16/.test(recipe.schedule.precision)) {
    add({
      id: 'precision',
      level: 'error',
      message: `${gpu.name} has no bfloat16 support; use precision amp (fp16 autocast) or fp32`,
    });
  }
  let memory: MemoryEstimate | null = null;
  let compute: ComputeEstimate | null = null;
  const memGiB = h.memoryGiB ?? gpu?.memoryGiB;
  if (!teacher.costs || !student.costs) {
    add({
      id: 'memory',
      level: 'warning',
      message: `no size profile for the ${!teacher.costs ? 'teacher' : 'student'} (not in open_clip's model_profile.csv and not a native ViT config): memory and compute are not estimated`,
    });
  } else {
    memory = estimateMemory({
      student: student.costs,
      teacher: teacher.costs,
      precision: recipe.schedule.precision,
      batchPerGpu: recipe.schedule.batchPerGpu,
      globalBatch: schedule.globalBatch,
      gradCheckpointing: recipe.schedule.gradCheckpointing,
      distributed: schedule.gpus > 1,
    });
    if (memGiB !== undefined) {
      const line = `~${memory.totalGiB.toFixed(1)} GiB per GPU (student states ${memory.studentStatesGiB.toFixed(1)}, teacher ${memory.teacherWeightsGiB.toFixed(1)}, activations ${memory.activationsGiB.toFixed(1)}, logits ${memory.logitsGiB.toFixed(2)}, overhead ${memory.overheadGiB}) of ${memGiB} GiB`;
      if (memory.totalGiB > memGiB) {
        add({
          id: 'memory',
          level: 'error',
          message: `${line}: does not fit; lower schedule.batchPerGpu, enable gradCheckpointing, or use a larger GPU`,
        });
      } else if (memory.totalGiB > 0.85 * memGiB) {
        add({
          id: 'memory',
          level: 'warning',
          message: `${line}: under 15% headroom, and the estimate is a lower bound`,
        });
      } else add({ id: 'memory', level: 'ok', message: line });
    }
    const tflops = h.tflops;
    if (gpu || tflops !== undefined) {
      compute = estimateCompute({
        student: student.costs,
        teacher: teacher.costs,
        samples: schedule.totalSamples,
        gpus: schedule.gpus,
        gpu: gpu ?? {
          name: h.gpu,
          memoryGiB: memGiB ?? 0,
          tflops16: tflops!,
          tflops32: tflops!,
          bf16: true,
          source: 'recipe hardware.tflops',
        },
        precision: recipe.schedule.precision,
        mfu: h.mfu ?? DEFAULT_MFU,
        tflops,
        gradCheckpointing: recipe.schedule.gradCheckpointing,
      });
      add({
        id: 'compute',
        level: 'ok',
        message: `${(compute.totalFlops / 1e18).toFixed(2)} EFLOP: ~${compute.gpuHours.toFixed(compute.gpuHours < 10 ? 3 : 0)} GPU-hours, ~${compute.wallHours.toFixed(compute.wallHours < 10 ? 3 : 1)} h on ${schedule.gpus} x ${gpu?.name ?? h.gpu} at ${compute.peakTflops} TFLOP/s x MFU ${compute.mfu}`,
      });
    }
  }
  return {
    recipe,
    file,
    teacher,
    student,
    args,
    checks,
    ok: !checks.some((c) => c.level === 'error'),
    schedule,
    gpu,
    memory,
    compute,
    outDir,
  };
}
