import { existsSync } from 'node:fs';
import path from 'node:path';
import { cachedHubFile, hfHubCacheDir, makeDefaultHubConfigLoader, parseSpec, resolve } from '@cliphub/registry';
import { ConvertError } from './errors.js';

export interface LocatedInput {
  /** A checkpoint file or a directory holding one. */
  path: string;
  /** A registry spec whose config must be used for these weights (ARCH:TAG inputs), else undefined. */
  model?: string;
  /** The Hub repo the weights came from, for a model card's base_model. */
  baseModel?: string;
  /** The spec the user gave, when the input was one. */
  spec?: string;
}

// The weight files open_clip's Hub loader looks for, best first.
const HUB_WEIGHTS = ['open_clip_model.safetensors', 'open_clip_pytorch_model.bin'];
const SPEC_RE = /^[^\s:/\\]+:[^\s:/\\]+$/;

/**
 * Turns any input a command accepts into local weights: a path (or local-dir:PATH), an
 * hf-hub:ORG/NAME[@REV] repo in the local huggingface_hub cache, or a registry ARCH:TAG whose weights
 * are in that cache. cliphub never downloads weights implicitly; the error says how to fetch them.
 */
export async function locateInput(
  input: string,
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<LocatedInput> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const local = input.startsWith('local-dir:') ? input.slice('local-dir:'.length) : input;
  const abs = path.resolve(cwd, local);
  if (existsSync(abs)) return { path: abs };
  const cache = hfHubCacheDir(env);

  if (input.startsWith('hf-hub:')) {
    const spec = parseSpec(input);
    if (spec.kind !== 'hf-hub')
      throw new ConvertError('BAD_SPEC', `'${input}' is not a Hub spec; write hf-hub:ORG/NAME[@REV]`);
    const rev = spec.revision ?? 'main';
    const hit = ['open_clip_config.json', ...HUB_WEIGHTS]
      .map((f) => cachedHubFile(spec.repo, rev, f, env))
      .find((f): f is string => f !== null);
    if (!hit) {
      throw new ConvertError(
        'NOT_CACHED',
        `hf-hub:${spec.repo}@${rev} is not in the local Hugging Face cache (${cache}); run 'cliphub pull hf-hub:${spec.repo}' first, or pass a local folder`,
      );
    }
    return { path: path.dirname(hit), baseModel: spec.repo, spec: input };
  }

  if (SPEC_RE.test(input)) {
    const r = await resolve(input, { hubConfigLoader: makeDefaultHubConfigLoader(env) });
    const w = r.weights;
    if (w?.kind === 'hf-hub') {
      const rev = w.revision ?? 'main';
      const names = w.file ? [w.file] : HUB_WEIGHTS;
      const hit = names.map((f) => cachedHubFile(w.repo, rev, f, env)).find((f): f is string => f !== null);
      if (!hit) {
        throw new ConvertError(
          'NOT_CACHED',
          `the weights of ${input} (hf-hub:${w.repo}, ${names.join(' or ')}) are not in the local Hugging Face cache (${cache}); fetch them with 'cliphub pull hf-hub:${w.repo}', or pass the checkpoint file with --model ${input}`,
        );
      }
      // The registry's config wins over the repo's, exactly as open_clip builds ARCH:TAG.
      return { path: hit, model: input, baseModel: w.repo, spec: input };
    }
    if (w?.kind === 'url') {
      throw new ConvertError(
        'NOT_CACHED',
        `the weights of ${input} are a download from ${w.url}, which cliphub does not fetch; download the file and pass it with --model ${input}`,
      );
    }
    throw new ConvertError(
      'NO_WEIGHTS',
      `${input} names no pretrained weights; pass a checkpoint file with --model ${input}`,
    );
  }
  throw new ConvertError(
    'NOT_FOUND',
    `'${input}' is neither a file, a folder nor a model spec (ARCH:TAG, hf-hub:ORG/NAME); pass a checkpoint, a folder holding one, or a spec`,
  );
}
