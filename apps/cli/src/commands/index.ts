import type { Command } from '../command.js';

/** Every CLI command, loaded lazily so `cliphub models` never pays for onnxruntime or sharp. */
export const commands: Array<{ name: string; summary: string; load: () => Promise<Command> }> = [
  {
    name: 'convert',
    summary: 'convert a checkpoint to safetensors or ONNX',
    load: async () => (await import('./convert.js')).default,
  },
  {
    name: 'serve',
    summary: 'run a Hub-compatible model server',
    load: async () => (await import('./serve.js')).default,
  },
  {
    name: 'push',
    summary: 'publish a model folder to a Hub repo in one commit',
    load: async () => (await import('./push.js')).default,
  },
  {
    name: 'pull',
    summary: 'download a Hub repo into the huggingface_hub cache',
    load: async () => (await import('./pull.js')).default,
  },
  {
    name: 'models',
    summary: 'list, search and describe pretrained models; register local ones',
    load: async () => (await import('./models.js')).default,
  },
  {
    name: 'distill',
    summary: 'plan and emit open_clip_train distillation launches; finalize runs',
    load: async () => (await import('./distill.js')).default,
  },
  {
    name: 'validate',
    summary: 'check a converted model against reference embeddings',
    load: async () => (await import('./validate.js')).default,
  },
  {
    name: 'embed',
    summary: 'embed images and texts with an exported model (ONNX)',
    load: async () => (await import('./embed.js')).default,
  },
  {
    name: 'zeroshot',
    summary: 'zero-shot classify an image with an exported model',
    load: async () => (await import('./zeroshot.js')).default,
  },
];
