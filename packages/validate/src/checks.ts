import type { TowerMetrics } from './metrics.js';
import type { Profile } from './profiles.js';
import type { SimilarityMetrics } from './similarity.js';

/** One metric compared with its limit. `higherIsBetter` tells baselines which way "worse" is. */
export interface Check {
  id: string;
  group: 'image' | 'text' | 'similarity';
  value: number;
  limit: number;
  higherIsBetter: boolean;
  pass: boolean;
}

function check(group: Check['group'], metric: string, value: number, limit: number, higherIsBetter: boolean): Check {
  // NaN compares false both ways, so a NaN metric always fails.
  const pass = higherIsBetter ? value >= limit : value <= limit;
  return { id: `${group}.${metric}`, group, value, limit, higherIsBetter, pass };
}

/** Every check of a comparison under a profile, towers first, then the similarity matrix. */
export function runChecks(towers: TowerMetrics[], sim: SimilarityMetrics | null, p: Profile): Check[] {
  const out: Check[] = [];
  for (const m of towers) {
    out.push(
      check(m.tower, 'min_cosine', m.minCosine, p.minCosine, true),
      check(m.tower, 'max_rel_l2', m.maxRelL2, p.maxRelL2, false),
      check(m.tower, 'max_abs_rel', m.maxAbsRel, p.maxAbsRel, false),
      check(m.tower, 'non_finite', m.nonFinite, 0, false),
    );
  }
  if (sim) {
    out.push(
      check('similarity', 'argmax_image_to_text', sim.argmaxImageToText, p.minArgmaxAgreement, true),
      check('similarity', 'argmax_text_to_image', sim.argmaxTextToImage, p.minArgmaxAgreement, true),
      check('similarity', 'spearman', sim.spearman, p.minSpearman, true),
      check('similarity', 'max_cos_sim_diff', sim.maxCosSimDiff, p.maxCosSimDiff, false),
    );
  }
  return out;
}
