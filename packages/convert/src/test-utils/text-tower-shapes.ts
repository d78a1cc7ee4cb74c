import type { ShapeInfo } from '../infer-model-cfg.js';

/**
 * State-dict shapes of open_clip's own text transformer (vocab 49408, context 77) with `layers` blocks,
 * each name after `prefix` ('' for a CLIP state dict, 'text.' for a CustomTextCLIP one).
 */
export function textTowerShapes(o: { width: number; layers: number; embed: number; prefix?: string }): ShapeInfo[] {
  const t = o.prefix ?? '';
  return [
    { name: `${t}token_embedding.weight`, shape: [49408, o.width] },
    { name: `${t}positional_embedding`, shape: [77, o.width] },
    { name: `${t}ln_final.weight`, shape: [o.width] },
    { name: `${t}text_projection`, shape: [o.width, o.embed] },
    ...Array.from({ length: o.layers }, (_, i) => ({
      name: `${t}transformer.resblocks.${i}.attn.in_proj_weight`,
      shape: [3 * o.width, o.width],
    })),
  ];
}
