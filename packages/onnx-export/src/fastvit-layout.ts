import type { WeightShapes } from './expected-weights.js';
import type { FastVitSpec, FastVitStageArch } from './mobileclip-arch.js';
import type { WeightSource } from './types.js';

export const TRUNK = 'visual.trunk.';

/** Sizes of a FastViT trunk, read from its checkpoint (the config names the structure, not the sizes). */
export interface FastVitDims {
  stem: number;
  stages: Array<{ dim: number; depth: number; hidden: number; seRd: number }>;
  final: number;
  finalSeRd: number;
  embed: number;
}

/** A MobileOneBlock's shape (timm fastvit.py): the branches its training layout carries. */
export interface MobileOneShape {
  cin: number;
  cout: number;
  k: number;
  stride: number;
  groups: number;
  /** A 1×1 conv+BN branch (kernel > 1 and use_scale_branch). */
  scale: boolean;
  /** Number of k×k conv+BN branches. */
  convBranches: number;
  /** Squeeze-excite reduction width, or 0 for none. */
  seRd: number;
}

/** timm.layers.make_divisible with round_limit 0, which SqueezeExcite uses for its reduction width. */
function makeDivisible(v: number, divisor: number): number {
  return Math.max(divisor, Math.floor(Math.floor(v + divisor / 2) / divisor) * divisor);
}

const dim0 = (source: WeightSource, ...names: string[]): number => {
  for (const n of names) {
    const s = source.info(n)?.shape;
    if (s?.length) return s[0] as number;
  }
  return 0;
};

/** A module stored reparameterised (one conv with bias) rather than as its training-time branches. */
export function isReparam(source: WeightSource, prefix: string): boolean {
  return source.info(`${prefix}.reparam_conv.weight`) !== undefined;
}

export function fastvitDims(spec: FastVitSpec, source: WeightSource): FastVitDims {
  const names = source.names();
  const t = TRUNK;
  const stem = dim0(source, `${t}stem.0.reparam_conv.weight`, `${t}stem.0.conv_kxk.0.conv.weight`);
  const stages = spec.stages.map((arch, i) => {
    const re = new RegExp(`^visual\\.trunk\\.stages\\.${i}\\.blocks\\.(\\d+)\\.`);
    let depth = 0;
    for (const n of names) {
      const m = re.exec(n);
      if (m) depth = Math.max(depth, Number(m[1]) + 1);
    }
    const b = `${t}stages.${i}.blocks.0.mlp.`;
    const dim = dim0(source, `${b}fc2.weight`);
    return {
      dim,
      depth,
      hidden: dim0(source, `${b}fc1.weight`),
      seRd: arch.seDownsample ? makeDivisible(dim / 4, 8) : 0,
    };
  });
  const final = dim0(source, `${t}final_conv.reparam_conv.weight`, `${t}final_conv.conv_kxk.0.conv.weight`);
  return { stem, stages, final, finalSeRd: makeDivisible(final / 16, 1), embed: spec.outputDim };
}

/** One stage of a FastViT trunk: what the config says of it, its sizes from the checkpoint, its timm prefix. */
export interface FastVitStage {
  arch: FastVitStageArch;
  dims: FastVitDims['stages'][number];
  prefix: string;
}

/** The stages of a FastViT trunk that both the config and the checkpoint have, in order. */
export function fastvitStages(spec: FastVitSpec, d: FastVitDims): FastVitStage[] {
  return d.stages.flatMap((dims, i) => {
    const arch = spec.stages[i];
    return arch ? [{ arch, dims, prefix: `${TRUNK}stages.${i}.` }] : [];
  });
}

/** The MobileOneBlocks of a FastViT trunk, by prefix, with their shapes. */
export function mobileOneBlocks(spec: FastVitSpec, d: FastVitDims): Map<string, MobileOneShape> {
  const t = TRUNK;
  const out = new Map<string, MobileOneShape>();
  const s = spec.stemScaleBranch;
  out.set(`${t}stem.0`, { cin: 3, cout: d.stem, k: 3, stride: 2, groups: 1, scale: s, convBranches: 1, seRd: 0 });
  out.set(`${t}stem.1`, {
    ...{ cin: d.stem, cout: d.stem, k: 3, stride: 2, groups: d.stem },
    ...{ scale: s, convBranches: 1, seRd: 0 },
  });
  out.set(`${t}stem.2`, {
    cin: d.stem,
    cout: d.stem,
    k: 1,
    stride: 1,
    groups: 1,
    scale: false,
    convBranches: 1,
    seRd: 0,
  });
  d.stages.forEach((st, i) => {
    if (spec.stages[i]?.downsample)
      out.set(`${t}stages.${i}.downsample.proj.1`, {
        ...{ cin: st.dim, cout: st.dim, k: 1, stride: 1, groups: 1 },
        ...{ scale: false, convBranches: 1, seRd: 0 },
      });
  });
  const last = d.stages[d.stages.length - 1]?.dim ?? 0;
  out.set(`${t}final_conv`, {
    ...{ cin: last, cout: d.final, k: 3, stride: 1, groups: last },
    ...{ scale: true, convBranches: 1, seRd: d.finalSeRd },
  });
  return out;
}

function bn(out: WeightShapes, p: string, c: number): void {
  for (const k of ['weight', 'bias', 'running_mean', 'running_var']) out.set(`${p}.${k}`, [c]);
  out.set(`${p}.num_batches_tracked`, null);
}

function convBn(out: WeightShapes, p: string, cout: number, cinG: number, k: number): void {
  out.set(`${p}.conv.weight`, [cout, cinG, k, k]);
  bn(out, `${p}.bn`, cout);
}

function se(out: WeightShapes, p: string, c: number, rd: number): void {
  out.set(`${p}.se.fc1.weight`, [rd, c, 1, 1]).set(`${p}.se.fc1.bias`, [rd]);
  out.set(`${p}.se.fc2.weight`, [c, rd, 1, 1]).set(`${p}.se.fc2.bias`, [c]);
}

function reparamConv(out: WeightShapes, p: string, cout: number, cinG: number, k: number): void {
  out.set(`${p}.reparam_conv.weight`, [cout, cinG, k, k]).set(`${p}.reparam_conv.bias`, [cout]);
}

export function mobileOneWeights(out: WeightShapes, source: WeightSource, p: string, m: MobileOneShape): void {
  const cinG = m.cin / m.groups;
  if (isReparam(source, p)) reparamConv(out, p, m.cout, cinG, m.k);
  else {
    if (m.cin === m.cout && m.stride === 1) bn(out, `${p}.identity`, m.cin);
    for (let b = 0; b < m.convBranches; b++) convBn(out, `${p}.conv_kxk.${b}`, m.cout, cinG, m.k);
    if (m.scale) convBn(out, `${p}.conv_scale`, m.cout, cinG, 1);
  }
  if (m.seRd) se(out, p, m.cout, m.seRd);
}

/** Every tensor of a FastViT MCi trunk and head, each module in whichever layout the checkpoint stores. */
export function fastvitWeights(spec: FastVitSpec, source: WeightSource): WeightShapes {
  const out: WeightShapes = new Map();
  const t = TRUNK;
  const d = fastvitDims(spec, source);
  for (const [p, m] of mobileOneBlocks(spec, d)) mobileOneWeights(out, source, p, m);
  for (const { arch, dims: st, prefix: sp } of fastvitStages(spec, d)) {
    const C = st.dim;
    if (arch.downsample) {
      const p = `${sp}downsample.proj.0`;
      const cinG = 1; // groups = input width
      if (isReparam(source, p)) reparamConv(out, p, C, cinG, 7);
      else {
        convBn(out, `${p}.large_conv`, C, cinG, 7);
        convBn(out, `${p}.small_conv`, C, cinG, 3);
      }
      if (st.seRd) se(out, p, C, st.seRd);
    }
    if (arch.posEmb) {
      const p = `${sp}pos_emb`;
      if (isReparam(source, p)) reparamConv(out, p, C, 1, 7);
      else out.set(`${p}.pos_enc.weight`, [C, 1, 7, 7]).set(`${p}.pos_enc.bias`, [C]);
    }
    for (let j = 0; j < st.depth; j++) {
      const b = `${sp}blocks.${j}.`;
      if (arch.mixer === 'repmixer') {
        const p = `${b}token_mixer`;
        if (isReparam(source, p)) reparamConv(out, p, C, 1, 3);
        else {
          bn(out, `${p}.norm.identity`, C);
          bn(out, `${p}.mixer.identity`, C);
          convBn(out, `${p}.mixer.conv_kxk.0`, C, 1, 3);
          convBn(out, `${p}.mixer.conv_scale`, C, 1, 1);
          out.set(`${p}.layer_scale.gamma`, [C, 1, 1]);
        }
        out.set(`${b}layer_scale.gamma`, [C, 1, 1]);
      } else {
        if (spec.attnNorm === 'batchnorm') bn(out, `${b}norm`, C);
        else out.set(`${b}norm.weight`, [C]).set(`${b}norm.bias`, [C]);
        out.set(`${b}token_mixer.qkv.weight`, [3 * C, C]);
        out.set(`${b}token_mixer.proj.weight`, [C, C]).set(`${b}token_mixer.proj.bias`, [C]);
        out.set(`${b}layer_scale_1.gamma`, [C, 1, 1]).set(`${b}layer_scale_2.gamma`, [C, 1, 1]);
      }
      convBn(out, `${b}mlp.conv`, C, 1, 7);
      out.set(`${b}mlp.fc1.weight`, [st.hidden, C, 1, 1]).set(`${b}mlp.fc1.bias`, [st.hidden]);
      out.set(`${b}mlp.fc2.weight`, [C, st.hidden, 1, 1]).set(`${b}mlp.fc2.bias`, [C]);
    }
  }
  out.set(`${t}head.fc.weight`, [d.embed, d.final]).set(`${t}head.fc.bias`, [d.embed]);
  return out;
}
