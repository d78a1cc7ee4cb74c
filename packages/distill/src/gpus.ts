/** A GPU type: memory and peak dense tensor throughput, from the vendor's datasheet. */
export interface GpuType {
  name: string;
  memoryGiB: number;
  /** Peak dense (no sparsity) TFLOP/s for bf16/fp16 tensor math, and for fp32 runs (TF32 where the GPU has it). */
  tflops16: number;
  tflops32: number;
  bf16: boolean;
  source: string;
}

/**
 * The GPU table used for memory checks and GPU-hour estimates. Throughput is the datasheet peak; the
 * estimate multiplies it by a model-FLOPs utilisation (DEFAULT_MFU unless the recipe sets one).
 */
export const GPU_TYPES: readonly GpuType[] = [
  {
    name: 'H200',
    memoryGiB: 141,
    tflops16: 989,
    tflops32: 494,
    bf16: true,
    source: 'NVIDIA H200 SXM datasheet (dense; sparse figures are 2x)',
  },
  {
    name: 'H100-80GB',
    memoryGiB: 80,
    tflops16: 989,
    tflops32: 494,
    bf16: true,
    source: 'NVIDIA H100 SXM datasheet (dense; sparse figures are 2x)',
  },
  {
    name: 'A100-80GB',
    memoryGiB: 80,
    tflops16: 312,
    tflops32: 156,
    bf16: true,
    source: 'NVIDIA A100 datasheet (dense BF16/FP16 312, TF32 156)',
  },
  {
    name: 'A100-40GB',
    memoryGiB: 40,
    tflops16: 312,
    tflops32: 156,
    bf16: true,
    source: 'NVIDIA A100 datasheet (dense BF16/FP16 312, TF32 156)',
  },
  {
    name: 'L40S',
    memoryGiB: 48,
    tflops16: 362,
    tflops32: 183,
    bf16: true,
    source: 'NVIDIA L40S datasheet (dense; sparse figures are 2x)',
  },
  {
    name: 'A10',
    memoryGiB: 24,
    tflops16: 125,
    tflops32: 62.5,
    bf16: true,
    source: 'NVIDIA A10 datasheet (dense; sparse figures are 2x)',
  },
  {
    name: 'V100-32GB',
    memoryGiB: 32,
    tflops16: 125,
    tflops32: 15.7,
    bf16: false,
    source: 'NVIDIA V100 SXM2 datasheet (FP16 tensor 125, FP32 15.7; no bf16)',
  },
  {
    name: 'V100-16GB',
    memoryGiB: 16,
    tflops16: 125,
    tflops32: 15.7,
    bf16: false,
    source: 'NVIDIA V100 SXM2 datasheet (FP16 tensor 125, FP32 15.7; no bf16)',
  },
  {
    name: 'cpu',
    memoryGiB: 16,
    tflops16: 0.5,
    tflops32: 0.5,
    bf16: true,
    source: 'nominal figures for CPU smoke tests, not a measurement',
  },
];

/** Share of peak throughput a CLIP training step reaches; an assumption, overridable per recipe (hardware.mfu). */
export const DEFAULT_MFU = 0.35;

/** Looks a GPU type up by name, case-insensitively. */
export function gpuType(name: string): GpuType | undefined {
  const n = name.toLowerCase();
  return GPU_TYPES.find((g) => g.name.toLowerCase() === n);
}
