import { activation, type BuildCtx, i64, layerNorm, timmBlock, torchLinear, transformer } from './blocks.js';
import { scaleBlocks } from './tensor-math.js';
import { mciVitDims } from './mci-vit-layout.js';
import type { MciVitSpec } from './mobileclip-arch.js';
import type { Activation } from './types.js';

const T = 'visual.trunk.';
const BN_EPS = 1e-5;

/** A conv without bias followed by eval-mode BatchNorm, folded into one Conv (stride = kernel size). */
function convBn(ctx: BuildCtx, x: string, p: string, cout: number, cin: number, k: number): string {
  const { graph, weights } = ctx;
  const factor = async () => {
    const [gamma, v] = await Promise.all([weights.f32(`${p}.bn.weight`), weights.f32(`${p}.bn.running_var`)]);
    return Float64Array.from(gamma, (gm, i) => gm / Math.sqrt((v[i] as number) + BN_EPS));
  };
  const per = cin * k * k;
  const weight = weights.computed(graph, `${p}.weight`, [cout, cin, k, k], ctx.computeType, async () => {
    const [f, src] = await Promise.all([factor(), weights.f32(`${p}.conv.weight`)]);
    return scaleBlocks(src, f, per);
  });
  const bias = weights.computed(graph, `${p}.bias`, [cout], ctx.computeType, async () => {
    const [f, beta, mean] = await Promise.all([
      factor(),
      weights.f32(`${p}.bn.bias`),
      weights.f32(`${p}.bn.running_mean`),
    ]);
    return Float32Array.from(beta, (b, i) => b - (mean[i] as number) * (f[i] as number));
  });
  return graph.node('Conv', [x, weight, bias], { kernel_shape: [k, k], strides: [k, k] });
}

/**
 * open_clip TimmModel over timm's VisionTransformer as MobileCLIP configures it: a patch conv or
 * vit_base_mci_224's 3-conv stem, class token, pre-LN blocks, final norm, class-token pooling and timm's
 * classifier head as the projection: pixels [N, 3, H, W] -> [N, embed_dim].
 */
export function buildMciVit(ctx: BuildCtx, spec: MciVitSpec, pixels: string, act: Activation): string {
  const { graph, weights } = ctx;
  const d = mciVitDims(spec, weights.source);
  const W = d.width;
  const N = d.grid * d.grid;
  const L = N + 1;
  let feat: string;
  if (spec.stem === 'mci-conv') {
    const b = `${T}patch_embed.backbone.`;
    const [c0, c1] = d.stem;
    let y = activation(ctx, convBn(ctx, pixels, `${b}0`, c0, 3, 4), act);
    y = activation(ctx, convBn(ctx, y, `${b}1`, c1, c0, 2), act);
    feat = graph.node(
      'Conv',
      [
        y,
        weights.direct(graph, `${b}2.conv.weight`, ctx.computeType),
        weights.direct(graph, `${b}2.conv.bias`, ctx.computeType),
      ],
      {
        kernel_shape: [2, 2],
        strides: [2, 2],
      },
    );
  } else {
    feat = graph.node('Conv', [pixels, weights.direct(graph, `${T}patch_embed.proj.weight`, ctx.computeType)], {
      kernel_shape: [spec.patch, spec.patch],
      strides: [spec.patch, spec.patch],
    });
  }
  const seq = graph.node('Transpose', [graph.node('Reshape', [feat, i64(ctx, [0, W, N])])], { perm: [0, 2, 1] });
  // The class token is a zero row padded in front plus one constant [L, W] holding the class token and
  // the positions (timm adds positions before or after prepending it: either way the sum is the same).
  const padded = graph.node('Pad', [seq, i64(ctx, [0, 1, 0, 0, 0, 0])]);
  const embed = weights.computed(graph, `${T}embed`, [L, W], ctx.computeType, async () => {
    const [cls, pos] = await Promise.all([weights.f32(`${T}cls_token`), weights.f32(`${T}pos_embed`)]);
    const out = new Float32Array(L * W);
    if (spec.posWithClass) {
      out.set(pos);
      for (let i = 0; i < W; i++) out[i] = Math.fround((pos[i] as number) + (cls[i] as number));
    } else {
      out.set(cls);
      out.set(pos, W);
    }
    return out;
  });
  let x = graph.node('Reshape', [graph.node('Add', [padded, embed]), i64(ctx, [-1, W])]);
  if (spec.preNorm) x = layerNorm(ctx, x, `${T}norm_pre`, spec.eps);
  const blocks = Array.from({ length: d.depth }, (_, i) => timmBlock(`${T}blocks.${i}.`));
  // Token pooling keeps the class token alone: the last block computes it only, and the final norm is per token.
  x = transformer(ctx, x, blocks, {
    width: W,
    heads: d.heads,
    mlp: d.mlp,
    seq: L,
    eps: spec.eps,
    act,
    causal: false,
    onlyRow: 0,
  });
  x = layerNorm(ctx, x, `${T}norm`, spec.eps);
  return torchLinear(ctx, x, `${T}head`, W, d.embed);
}
