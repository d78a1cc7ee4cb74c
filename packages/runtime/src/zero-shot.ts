import { RuntimeError } from './errors.js';
import { embedImages, type ImageInput } from './embed-images.js';
import { embedTexts } from './embed-texts.js';
import { l2NormalizeRows } from './l2-normalize.js';
import type { ClipModel } from './load-model.js';

export interface ZeroShotOptions {
  /** prompt templates with `{}` for the label (default `['{}']`); several are averaged per label, as open_clip's zero-shot classifier does */
  templates?: string[];
}

export interface ZeroShotResult {
  labels: string[];
  /** softmax over labels (CLIP) or independent sigmoids (models with logit_bias, SigLIP-style) */
  probs: number[];
  /** logitScale * cosine (+ logitBias) */
  logits: number[];
  activation: 'softmax' | 'sigmoid';
  logitScale: number;
  logitBias: number | null;
  /** texts cut to the context length */
  truncated: number;
}

/** Scores one image against labels: softmax(logit_scale·cos) for CLIP, sigmoid(logit_scale·cos + logit_bias) when the model has a bias. */
export async function zeroShot(
  model: ClipModel,
  image: ImageInput,
  labels: readonly string[],
  opts: ZeroShotOptions = {},
): Promise<ZeroShotResult> {
  const templates = opts.templates ?? ['{}'];
  if (labels.length === 0 || labels.some((l) => typeof l !== 'string' || l.trim() === '')) {
    throw new RuntimeError('BAD_INPUT', 'zero-shot needs at least one non-empty label');
  }
  if (templates.length === 0 || templates.some((t) => !t.includes('{}'))) {
    throw new RuntimeError(
      'BAD_INPUT',
      `every template needs a {} where the label goes, e.g. "a photo of a {}."; got ${JSON.stringify(templates)}`,
    );
  }
  const d = model.embedDim;
  const img = await embedImages(model, [image], { normalize: true });
  const prompts = labels.flatMap((l) => templates.map((t) => t.replaceAll('{}', l)));
  const txt = await embedTexts(model, prompts, { normalize: true });
  // One class vector per label: the mean of its normalized template embeddings, renormalized.
  const classes = new Float32Array(labels.length * d);
  for (let c = 0; c < labels.length; c++) {
    for (let t = 0; t < templates.length; t++) {
      const row = (c * templates.length + t) * d;
      for (let j = 0; j < d; j++) classes[c * d + j]! += txt.data[row + j]!;
    }
  }
  l2NormalizeRows(classes, d);
  const { logitScale, logitBias } = model.manifest;
  const logits = labels.map((_, c) => {
    let cos = 0;
    for (let j = 0; j < d; j++) cos += img.data[j]! * classes[c * d + j]!;
    return logitScale * cos + (logitBias ?? 0);
  });
  let probs: number[];
  if (logitBias !== null) {
    probs = logits.map((z) => 1 / (1 + Math.exp(-z)));
  } else {
    const max = Math.max(...logits);
    const e = logits.map((z) => Math.exp(z - max));
    const sum = e.reduce((a, b) => a + b, 0);
    probs = e.map((x) => x / sum);
  }
  return {
    labels: [...labels],
    probs,
    logits,
    activation: logitBias !== null ? 'sigmoid' : 'softmax',
    logitScale,
    logitBias,
    truncated: txt.truncated,
  };
}
