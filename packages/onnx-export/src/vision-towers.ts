import type { BuildCtx } from './blocks.js';
import { buildConvNext } from './build-convnext.js';
import { buildFastVit } from './build-fastvit.js';
import { buildMciVit } from './build-mci-vit.js';
import { buildResNet } from './build-resnet.js';
import { buildTimmEva } from './build-timm-eva.js';
import { buildTimmSwin } from './build-timm-swin.js';
import { buildTimmVit } from './build-timm-vit.js';
import { buildViTamin } from './build-vitamin.js';
import { buildVit } from './build-vit.js';
import {
  convNextWeights,
  resnetWeights,
  swinWeights,
  timmEvaWeights,
  timmVitWeights,
  viTaminWeights,
  vitWeights,
  type WeightShapes,
} from './expected-weights.js';
import { fastvitWeights } from './fastvit-layout.js';
import { mciVitWeights } from './mci-vit-layout.js';
import type { VisionSpec } from './resolve-config.js';
import { convNextFromWeights } from './timm-convnext.js';
import { fitEvaToWeights } from './timm-eva.js';
import { timmVitFromWeights } from './timm-siglip.js';
import { swinFromWeights } from './timm-swin.js';
import { viTaminFromWeights } from './timm-vitamin.js';
import type { Activation, WeightSource } from './types.js';

type VisionKind = VisionSpec['kind'];
type SpecOf<K extends VisionKind> = Extract<VisionSpec, { kind: K }>;

/** What the exporter does with one kind of vision tower. */
interface VisionTower<S extends VisionSpec> {
  /** timm trunks come at any size (timm.create_model overrides): their depths and widths are read from the weights. */
  fit?: (spec: S, weights: WeightSource) => S;
  /** Every weight the tower reads, with its shape (null: a scalar of any shape). */
  weights: (spec: S, weights: WeightSource) => WeightShapes;
  /** Adds the tower to ctx.graph; returns the name of the embedding. */
  build: (ctx: BuildCtx, spec: S, pixels: string, act: Activation) => string;
}

const VISION_TOWERS: { [K in VisionKind]: VisionTower<SpecOf<K>> } = {
  vit: { weights: vitWeights, build: buildVit },
  resnet: { weights: resnetWeights, build: (ctx, spec, pixels) => buildResNet(ctx, spec, pixels) },
  'timm-vit': { fit: timmVitFromWeights, weights: timmVitWeights, build: buildTimmVit },
  convnext: { fit: convNextFromWeights, weights: convNextWeights, build: buildConvNext },
  vitamin: { fit: viTaminFromWeights, weights: viTaminWeights, build: buildViTamin },
  'timm-eva': {
    fit: (spec, weights) => {
      const fitted = fitEvaToWeights(spec, weights);
      return { ...fitted, outputDim: fitted.proj === 'none' ? fitted.width : fitted.outputDim };
    },
    weights: timmEvaWeights,
    build: buildTimmEva,
  },
  fastvit: { weights: fastvitWeights, build: buildFastVit },
  'mci-vit': { weights: mciVitWeights, build: buildMciVit },
  swin: { fit: swinFromWeights, weights: swinWeights, build: buildTimmSwin },
};

// One entry of the table typed by the spec's own kind (TypeScript cannot correlate a union's kind with its entry).
function towerOf<K extends VisionKind>(kind: K): VisionTower<SpecOf<K>> {
  return VISION_TOWERS[kind];
}

/** The spec with the sizes its weights give (see VisionTower.fit). */
export function fitVision(spec: VisionSpec, weights: WeightSource): VisionSpec {
  return towerOf(spec.kind).fit?.(spec, weights) ?? spec;
}

/** Every weight the vision tower reads, with its shape. */
export function visionWeights(spec: VisionSpec, weights: WeightSource): WeightShapes {
  return towerOf(spec.kind).weights(spec, weights);
}

/** Builds the vision tower on `pixels` into ctx.graph; returns the name of the embedding. */
export function buildVision(ctx: BuildCtx, spec: VisionSpec, pixels: string, act: Activation): string {
  return towerOf(spec.kind).build(ctx, spec, pixels, act);
}
