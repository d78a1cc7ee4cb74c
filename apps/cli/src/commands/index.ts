import type { Command } from '../command.js';

/** Every CLI command with its one-line summary, in the order --help lists them; NAME lives in ./NAME.ts. */
const SUMMARIES = {
  convert: 'convert a checkpoint to safetensors or ONNX',
  serve: 'run a Hub-compatible model server',
  push: 'publish a model folder to a Hub repo in one commit',
  pull: 'download a Hub repo into the huggingface_hub cache',
  models: 'list, search and describe pretrained models; register local ones',
  distill: 'plan and emit open_clip_train distillation launches; finalize runs',
  validate: 'check a converted model against reference embeddings',
  embed: 'embed images and texts with an exported model (ONNX)',
  zeroshot: 'zero-shot classify an image with an exported model',
} as const;

/** Every CLI command, loaded lazily so `cliphub models` never pays for onnxruntime or sharp. */
export const commands: Array<{ name: string; summary: string; load: () => Promise<Command> }> = Object.entries(
  SUMMARIES,
).map(([name, summary]) => ({
  name,
  summary,
  load: async () => ((await import(`./${name}.js`)) as { default: Command }).default,
}));
