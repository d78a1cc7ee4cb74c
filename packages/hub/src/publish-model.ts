import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HubClientError } from './errors.js';
import { listFolder } from './list-folder.js';
import { buildModelCard, type ModelCardFacts } from './model-card.js';
import { pushFolder, type PushFolderOptions, type PushResult } from './push-folder.js';
import { parseRepoId } from './repo-id.js';
import { discoverToken } from './token.js';
import { VALIDATION_SUMMARY_FILE } from './validation-summary.js';

/** The two files open_clip's hf-hub: loader reads. */
export const OPEN_CLIP_MODEL_FILES = ['open_clip_model.safetensors', 'open_clip_config.json'] as const;

export const DEFAULT_HUB_URL = 'https://huggingface.co';

/** The Hub to talk to: the caller's choice, else HF_ENDPOINT as huggingface_hub reads it, else the public Hub. */
export function hubUrlFrom(env: NodeJS.ProcessEnv, explicit?: string): string {
  return explicit ?? env.HF_ENDPOINT ?? DEFAULT_HUB_URL;
}

/** The token as huggingface_hub finds it, or a NO_TOKEN error saying how to provide one. */
export function requireToken(env: NodeJS.ProcessEnv): string {
  const token = discoverToken(env);
  if (!token)
    throw new HubClientError(
      'NO_TOKEN',
      'No Hub token: set HF_TOKEN or log in with huggingface_hub (~/.cache/huggingface/token)',
    );
  return token;
}

/** Checkpoint formats as a model card names them. */
export const CHECKPOINT_FORMAT_NAMES = {
  zip: 'torch.save',
  legacy: 'legacy torch.save',
  torchscript: 'OpenAI TorchScript',
  safetensors: 'safetensors',
} as const;

/** How the weights were made from a checkpoint (a converter's report, reduced to what a card states). */
export interface PublishedConversion {
  checkpoint: string;
  format: keyof typeof CHECKPOINT_FORMAT_NAMES;
  verified: boolean;
  dtype?: string;
  activation?: string;
}

export interface PublishModelOptions extends Omit<
  PushFolderOptions,
  'repo' | 'folder' | 'files' | 'extraFolders' | 'card' | 'hubUrl' | 'token'
> {
  /** ORG/NAME */
  repo: string;
  /** Holds open_clip_model.safetensors + open_clip_config.json (or, with wholeFolder, any prepared layout). */
  modelDir: string;
  /** Push every file of modelDir (but README.md, which the card replaces): a transformers.js layout. */
  wholeFolder?: boolean;
  /** More files beside those two (tokenizer files, the original .bin), under their repo paths. */
  extraFiles?: Array<{ path: string; file: string }>;
  /** An ONNX export (with its cliphub.json), uploaded under onnx/. */
  onnxDir?: string;
  /** What the card says beyond the conversion and ONNX lines (registry facts, license, validation…). */
  card: Omit<ModelCardFacts, 'repo' | 'hasOnnx' | 'conversion'>;
  conversion?: PublishedConversion;
  hubUrl?: string;
  /** Default: found in `env` as huggingface_hub finds it (required unless dryRun). */
  token?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Publishes an OpenCLIP model folder in one commit, in the layout open_clip's hf-hub: loader reads, with a
 * model card stating where the weights came from and, when given, the ONNX export and the validation verdict.
 * `cliphub push` and `cliphub distill finalize --push` both publish through here.
 */
export async function publishModel(options: PublishModelOptions): Promise<PushResult> {
  const {
    modelDir,
    wholeFolder,
    extraFiles: givenExtraFiles = [],
    onnxDir,
    card,
    conversion,
    env = process.env,
    ...push
  } = options;
  const repo = parseRepoId(options.repo);
  const extraFiles = [...givenExtraFiles];
  const token = options.token ?? (options.dryRun ? discoverToken(env) : requireToken(env));
  const files = wholeFolder
    ? (await listFolder(modelDir)).filter((f) => f.path !== 'README.md')
    : OPEN_CLIP_MODEL_FILES.map((f) => ({ path: f, file: path.join(modelDir, f) }));
  if (!wholeFolder)
    for (const f of files)
      if (!existsSync(f.file))
        throw new HubClientError(
          'BAD_FOLDER',
          `${f.file} is missing; an OpenCLIP model folder holds ${OPEN_CLIP_MODEL_FILES.join(' and ')}`,
        );
  const readme = buildModelCard({
    ...card,
    repo,
    hasOnnx: !!onnxDir,
    ...(conversion && {
      conversion: {
        from: path.basename(conversion.checkpoint),
        format: CHECKPOINT_FORMAT_NAMES[conversion.format],
        verified: conversion.verified,
        dtype: conversion.dtype,
        activation: conversion.activation,
      },
    }),
  });
  // The validation summary travels as data too, so the Hub server's model page can show the verdict and figures.
  const summaryDir = card.validation ? await mkdtemp(path.join(env.TMPDIR || tmpdir(), 'cliphub-publish-')) : null;
  try {
    if (summaryDir && card.validation) {
      const summaryFile = path.join(summaryDir, VALIDATION_SUMMARY_FILE);
      await writeFile(summaryFile, `${JSON.stringify(card.validation, null, 2)}\n`);
      extraFiles.push({ path: VALIDATION_SUMMARY_FILE, file: summaryFile });
    }
    return await pushFolder({
      ...push,
      repo,
      files: [...files, ...extraFiles],
      hubUrl: hubUrlFrom(env, options.hubUrl),
      token,
      extraFolders: onnxDir ? [{ dir: onnxDir, prefix: 'onnx' }] : [],
      card: readme,
    });
  } finally {
    if (summaryDir) await rm(summaryDir, { recursive: true, force: true });
  }
}
