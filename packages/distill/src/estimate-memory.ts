import type { TowerCosts } from './tower-costs.js';

export interface MemoryInputs {
  student: TowerCosts;
  teacher: TowerCosts;
  precision: string;
  batchPerGpu: number;
  globalBatch: number;
  gradCheckpointing: boolean;
  /** More than one process: DDP keeps a gradient bucket copy. */
  distributed: boolean;
}

export interface MemoryEstimate {
  /** GiB per GPU, by part. */
  studentStatesGiB: number;
  teacherWeightsGiB: number;
  activationsGiB: number;
  logitsGiB: number;
  overheadGiB: number;
  totalGiB: number;
  method: string;
}

const GiB = 1024 ** 3;
// Activation bytes per token per block in half precision with fused (SDPA) attention: Korthikanti et al. 2022,
// "Reducing Activation Recomputation in Large Transformer Models", 34·s·h per layer without the s² term.
const ACT_BYTES_PER_TOKEN_WIDTH = 34;
// CUDA context, cuDNN/cuBLAS workspaces and allocator slack.
const OVERHEAD_GIB = 2;

/**
 * Per-GPU memory for one distillation step in open_clip_train. Student: fp32 weights, gradients and
 * two AdamW moments (16 B/param; 8 B under pure_bf16/pure_fp16), plus a DDP bucket copy (4 B/param).
 * Teacher: weights only (it runs under no_grad), 4 B/param unless the precision makes them half.
 * Activations: towers with N blocks of width w see tokens·N ≈ MACs / (12·w²), so 34·tokens·w·N bytes
 * ≈ 34/12 · MACs / w; doubled for fp32, and about 2/34 of that with gradient checkpointing.
 * A lower bound by design: fragmentation and data-loader pinned memory come on top.
 */
export function estimateMemory(m: MemoryInputs): MemoryEstimate {
  const pure = m.precision.startsWith('pure_');
  const half = pure || m.precision === 'bf16' || m.precision === 'fp16';
  const studentParams = (m.student.imageMparams + m.student.textMparams) * 1e6;
  const teacherParams = (m.teacher.imageMparams + m.teacher.textMparams) * 1e6;
  const studentBytes = studentParams * ((pure ? 8 : 16) + (m.distributed ? (pure ? 2 : 4) : 0));
  const teacherBytes = teacherParams * (half ? 2 : 4);
  const perSample =
    (ACT_BYTES_PER_TOKEN_WIDTH / 12) *
    ((m.student.imageGmacs * 1e9) / m.student.imageWidth + (m.student.textGmacs * 1e9) / m.student.textWidth) *
    (m.precision === 'fp32' ? 2 : 1) *
    (m.gradCheckpointing ? 2 / ACT_BYTES_PER_TOKEN_WIDTH : 1);
  const activations = perSample * m.batchPerGpu;
  // Student and teacher logits (local x global), their softmaxes and gradients, fp32.
  const logits = m.batchPerGpu * m.globalBatch * 4 * 8;
  const parts = {
    studentStatesGiB: studentBytes / GiB,
    teacherWeightsGiB: teacherBytes / GiB,
    activationsGiB: activations / GiB,
    logitsGiB: logits / GiB,
    overheadGiB: OVERHEAD_GIB,
  };
  const totalGiB = Object.values(parts).reduce((a, b) => a + b, 0);
  return {
    ...parts,
    totalGiB,
    method:
      'params x bytes per param (AdamW, DDP), activations 34/12 x MACs / width per sample (Korthikanti et al. 2022), +2 GiB overhead',
  };
}
