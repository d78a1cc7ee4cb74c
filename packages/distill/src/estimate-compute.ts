import type { GpuType } from './gpus.js';
import type { TowerCosts } from './tower-costs.js';

export interface ComputeInputs {
  student: TowerCosts;
  teacher: TowerCosts;
  samples: number;
  gpus: number;
  gpu: GpuType;
  precision: string;
  mfu: number;
  /** Overrides the table's peak TFLOP/s. */
  tflops?: number;
  gradCheckpointing: boolean;
}

export interface ComputeEstimate {
  /** FLOPs per sample (1 MAC = 2 FLOPs). */
  teacherFlopsPerSample: number;
  studentFlopsPerSample: number;
  totalFlops: number;
  peakTflops: number;
  mfu: number;
  gpuHours: number;
  wallHours: number;
  method: string;
}

/**
 * Teacher forward (2·MACs) plus student forward and backward (3 x forward; 4 x with gradient
 * checkpointing, which reruns the forward) per sample, times samples, at peak x MFU per GPU.
 */
export function estimateCompute(c: ComputeInputs): ComputeEstimate {
  const teacher = 2 * (c.teacher.imageGmacs + c.teacher.textGmacs) * 1e9;
  const student = (c.gradCheckpointing ? 4 : 3) * 2 * (c.student.imageGmacs + c.student.textGmacs) * 1e9;
  const totalFlops = (teacher + student) * c.samples;
  const peak = c.tflops ?? (c.precision === 'fp32' ? c.gpu.tflops32 : c.gpu.tflops16);
  const gpuHours = totalFlops / (peak * 1e12 * c.mfu) / 3600;
  return {
    teacherFlopsPerSample: teacher,
    studentFlopsPerSample: student,
    totalFlops,
    peakTflops: peak,
    mfu: c.mfu,
    gpuHours,
    wallHours: gpuHours / c.gpus,
    method: `(teacher 2 x MACs + student ${c.gradCheckpointing ? 4 : 3} x 2 x MACs) x samples / (${peak} TFLOP/s x MFU ${c.mfu}) per GPU`,
  };
}
