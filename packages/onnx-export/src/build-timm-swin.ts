import { type BuildCtx, i64, layerNorm, linear, mlp, reduce, softmax } from './blocks.js';
import { conv } from './build-convnext.js';
import { timmHead } from './timm-head.js';
import { swinShift, swinSides, type SwinSpec } from './timm-swin.js';
import type { Activation } from './types.js';

const EPS = 1e-5; // nn.LayerNorm's default: every norm of timm's Swin

/**
 * Token order of one block's windows on a side×side grid: entry k of the result is the grid position
 * (row-major) that lands at window-ordered slot k after timm's torch.roll(-shift) and window_partition.
 * One Gather with it replaces roll + partition; the inverse permutation replaces window_reverse + roll(+shift).
 */
export function windowOrder(side: number, window: number, shift: number): number[] {
  const perWindow = side / window;
  const order: number[] = [];
  for (let wy = 0; wy < perWindow; wy++)
    for (let wx = 0; wx < perWindow; wx++)
      for (let ty = 0; ty < window; ty++)
        for (let tx = 0; tx < window; tx++) {
          const y = (wy * window + ty + shift) % side;
          const x = (wx * window + tx + shift) % side;
          order.push(y * side + x);
        }
  return order;
}

function inverse(order: number[]): number[] {
  const inv = new Array<number>(order.length);
  order.forEach((pos, k) => (inv[pos] = k));
  return inv;
}

/**
 * timm's shifted-window mask [windows, 1, L, L]: 0 between tokens of the same region of the rolled grid,
 * -100 across regions (tokens that the roll brought from the far edge).
 */
export function shiftMask(side: number, window: number, shift: number): Float32Array {
  const band = (v: number) => (v < side - window ? 0 : v < side - shift ? 1 : 2);
  const perWindow = side / window;
  const L = window * window;
  const mask = new Float32Array(perWindow * perWindow * L * L);
  for (let wy = 0; wy < perWindow; wy++)
    for (let wx = 0; wx < perWindow; wx++) {
      const base = (wy * perWindow + wx) * L * L;
      const region = (t: number) => 3 * band(wy * window + Math.floor(t / window)) + band(wx * window + (t % window));
      for (let i = 0; i < L; i++)
        for (let j = 0; j < L; j++) if (region(i) !== region(j)) mask[base + i * L + j] = -100;
    }
  return mask;
}

/** bias[h, i, j] = table[index(i, j), h] for a window×window window: timm's relative position bias, [heads, L, L]. */
export function relativeBias(table: Float32Array, heads: number, window: number): Float32Array {
  const L = window * window;
  const span = 2 * window - 1;
  const out = new Float32Array(heads * L * L);
  for (let i = 0; i < L; i++)
    for (let j = 0; j < L; j++) {
      const dy = Math.floor(i / window) - Math.floor(j / window) + window - 1;
      const dx = (i % window) - (j % window) + window - 1;
      const row = (dy * span + dx) * heads;
      for (let h = 0; h < heads; h++) out[(h * L + i) * L + j] = table[row + h] as number;
    }
  return out;
}

interface Stage {
  side: number;
  dim: number;
  heads: number;
  window: number;
  mlp: number;
}

/**
 * Window attention of one block on ln_1 rows [N·side², C] in grid order -> its projected output in grid
 * order. q·kᵀ per window in [N, windows, heads, L, L], plus the block's relative position bias and, for
 * shifted blocks, the stage's shift mask; 1/√head_dim is folded into the q weights.
 */
function windowAttention(c: BuildCtx, h: string, p: string, st: Stage, shift: number, mask: () => string): string {
  const { g } = c;
  const { side, dim: C, heads: H, window: w } = st;
  const L = w * w;
  const nW = (side / w) ** 2;
  const hd = C / H;
  // one window covering the unshifted grid is the grid itself: no reordering
  const identity = nW === 1 && shift === 0;
  const order = windowOrder(side, w, shift);
  const grid = i64(c, [-1, side * side, C]);
  const rows = i64(c, [-1, C]);
  const reorder = (x: string, idx: number[]) =>
    g.node('Reshape', [g.node('Gather', [g.node('Reshape', [x, grid]), i64(c, idx)], { axis: 1 }), rows]);
  const windows = identity ? h : reorder(h, order);
  const s = 1 / Math.sqrt(hd);
  const qkv = linear(
    c,
    windows,
    `${p}attn.qkv`,
    C,
    3 * C,
    { name: `${p}attn.qkv.weight`, layout: 'torch', scale: s, scaleUpTo: C },
    { name: `${p}attn.qkv.bias`, scale: s, scaleUpTo: C },
  );
  const [qp, kp, vp] = g.nodeN('Split', [qkv, i64(c, [C, C, C])], 3, { axis: -1 }) as [string, string, string];
  const shape = i64(c, [-1, nW, L, H, hd]);
  const heads = (x: string, perm: number[]) => g.node('Transpose', [g.node('Reshape', [x, shape])], { perm });
  const table = `${p}attn.relative_position_bias_table`;
  const bias = c.w.computed(g, `${p}attn.relative_position_bias`, [H, L, L], c.cdt, async () =>
    relativeBias(await c.w.f32(table), H, w),
  );
  let scores = g.node('Add', [g.node('MatMul', [heads(qp, [0, 1, 3, 2, 4]), heads(kp, [0, 1, 3, 4, 2])]), bias]);
  if (shift > 0) scores = g.node('Add', [scores, mask()]);
  const ctx = g.node('MatMul', [softmax(c, scores), heads(vp, [0, 1, 3, 2, 4])]); // [N, nW, H, L, hd]
  const merged = g.node('Reshape', [g.node('Transpose', [ctx], { perm: [0, 1, 3, 2, 4] }), rows]);
  const out = linear(
    c,
    merged,
    `${p}attn.proj`,
    C,
    C,
    { name: `${p}attn.proj.weight`, layout: 'torch' },
    { name: `${p}attn.proj.bias` },
  );
  return identity ? out : reorder(out, inverse(order));
}

/** PatchMerging on rows [N·side², C]: each 2×2 neighbourhood concatenated (timm's order), LayerNorm, reduction (no bias). */
function patchMerging(c: BuildCtx, x: string, p: string, side: number, inDim: number, outDim: number): string {
  const { g } = c;
  const half = side / 2;
  // timm: reshape(B, H/2, 2, W/2, 2, C).permute(0, 1, 3, 4, 2, 5): channels ordered (column offset, row offset, C)
  const split = g.node('Reshape', [x, i64(c, [-1, half, 2, half, 2, inDim])]);
  const merged = g.node('Reshape', [
    g.node('Transpose', [split], { perm: [0, 1, 3, 4, 2, 5] }),
    i64(c, [-1, 4 * inDim]),
  ]);
  const n = layerNorm(c, merged, `${p}norm`, EPS);
  return linear(c, n, `${p}reduction`, 4 * inDim, outDim, { name: `${p}reduction.weight`, layout: 'torch' }, null);
}

/**
 * open_clip TimmModel over timm's Swin Transformer: patch embed (conv + LayerNorm, channels last), stages
 * of (shifted) window-attention blocks with PatchMerging between them, the final LayerNorm, token average
 * pool, then open_clip's head.proj or head.mlp. The residual stream is [N·side², C] rows in grid order.
 */
export function buildTimmSwin(c: BuildCtx, s: SwinSpec, pixels: string, act: Activation): string {
  const { g } = c;
  const t = 'visual.trunk.';
  const sides = swinSides(s);
  const d0 = s.dims[0] as number;
  const embedded = conv(c, pixels, `${t}patch_embed.proj`, s.patch, { stride: s.patch });
  const nhwc = g.node('Transpose', [embedded], { perm: [0, 2, 3, 1] });
  let x = layerNorm(c, g.node('Reshape', [nhwc, i64(c, [-1, d0])]), `${t}patch_embed.norm`, EPS);
  s.dims.forEach((dim, i) => {
    const lp = `${t}layers.${i}.`;
    const side = sides[i] as number;
    if (i > 0) x = patchMerging(c, x, `${lp}downsample.`, side * 2, s.dims[i - 1] as number, dim);
    const st: Stage = {
      side,
      dim,
      heads: s.heads[i] as number,
      window: s.windows[i] as number,
      mlp: s.mlpWidths[i] as number,
    };
    const shift = swinShift(side, st.window);
    let mask: string | undefined;
    // one mask per stage, made when its first shifted block needs it
    const maskOnce = () =>
      (mask ??= c.w.computed(
        g,
        `${lp}attn_mask`,
        [(side / st.window) ** 2, 1, st.window ** 2, st.window ** 2],
        c.cdt,
        async () => shiftMask(side, st.window, shift),
      ));
    for (let j = 0; j < (s.depths[i] as number); j++) {
      const p = `${lp}blocks.${j}.`;
      const a = windowAttention(c, layerNorm(c, x, `${p}norm1`, EPS), p, st, j % 2 === 1 ? shift : 0, maskOnce);
      x = g.node('Add', [x, a]);
      x = g.node('Add', [x, mlp(c, layerNorm(c, x, `${p}norm2`, EPS), `${p}mlp.fc1`, `${p}mlp.fc2`, dim, st.mlp, act)]);
    }
  });
  const C = s.dims[s.dims.length - 1] as number;
  const last = sides[sides.length - 1] as number;
  const normed = layerNorm(c, x, `${t}norm`, EPS);
  const pooled = reduce(c, 'ReduceMean', g.node('Reshape', [normed, i64(c, [-1, last * last, C])]), [1], false);
  return timmHead(c, pooled, C, s, act);
}
