import { activation, type BuildCtx, linear } from './blocks.js';
import type { Activation } from './types.js';

/** open_clip TimmModel's head after the trunk's pooled features: head.proj, or head.mlp (fc1 → GELU → fc2). */
export interface TimmHeadSpec {
  proj: 'linear' | 'mlp';
  projBias: boolean;
  outputDim: number;
}

/** The head on pooled features [N, inDim] -> [N, outputDim]. */
export function timmHead(ctx: BuildCtx, feat: string, inDim: number, spec: TimmHeadSpec, act: Activation): string {
  const e = spec.outputDim;
  const torch = (name: string) => ({ name: `${name}.weight`, layout: 'torch' as const });
  const bias = (name: string, present: boolean) => (present ? { name: `${name}.bias` } : null);
  if (spec.proj === 'linear') {
    const p = 'visual.head.proj';
    return linear(ctx, feat, p, inDim, e, torch(p), bias(p, spec.projBias));
  }
  const [fc1, fc2] = ['visual.head.mlp.fc1', 'visual.head.mlp.fc2'];
  const h = linear(ctx, feat, fc1, inDim, 2 * e, torch(fc1), bias(fc1, true));
  return linear(ctx, activation(ctx, h, act), fc2, 2 * e, e, torch(fc2), bias(fc2, spec.projBias));
}
