import path from 'node:path';
import { InferenceSession } from 'onnxruntime-node';
import type { PreprocessCfg } from '@cliphub/preprocess';
import { tokenizerForModel, type TokenizedBatch } from '@cliphub/tokenizer';
import { RuntimeError } from './errors.js';
import { CUDA_INSTALL_HINT, checkExecutionProvider, type ExecutionProvider } from './execution-provider.js';
import { defaultVocabFetcher, type FetchVocabOptions } from './fetch-vocab.js';
import { readManifest, type CliphubManifest, type TowerName } from '@cliphub/model-manifest';

/** What the runtime needs of a tokenizer (SimpleTokenizer and HfTokenizer both fit). */
export interface TextTokenizer {
  tokenize(texts: readonly string[], contextLength?: number): TokenizedBatch;
}

export interface LoadModelOptions {
  executionProvider?: ExecutionProvider;
  /** CUDA device index (default 0) */
  deviceId?: number;
  intraOpThreads?: number;
  /** load only these towers (default: every tower the manifest lists); skipping text skips the tokenizer */
  towers?: TowerName[];
  /** an explicit bpe_simple_vocab_16e6.txt.gz (or CLIP merges.txt) for CLIP tokenizers */
  vocabPath?: string;
  /**
   * use the CLIP vocab bundled with @cliphub/tokenizer when neither `vocabPath` nor the model dir has one. Default:
   * true, unless a vocab repo is named (`vocabFetch.repo` or $CLIPHUB_VOCAB_REPO): then that repo's merges.txt is used
   */
  bundledVocab?: boolean;
  /** fetches the BPE vocab when no local copy is used (default: fetchBpeVocab with `vocabFetch`) */
  fetchVocab?: () => Promise<Uint8Array>;
  /** the default fetcher's settings (env, repo, hubUrl, cacheDir, log); false: never fetch, a missing vocab is VOCAB_NOT_FOUND */
  vocabFetch?: FetchVocabOptions | false;
}

/** A loaded export dir: sessions for its towers, the tokenizer and the preprocessing config. */
export interface ClipModel {
  dir: string;
  manifest: CliphubManifest;
  executionProvider: ExecutionProvider;
  embedDim: number;
  preprocessCfg: PreprocessCfg;
  vision?: InferenceSession;
  text?: InferenceSession;
  tokenizer?: TextTokenizer;
  dispose(): Promise<void>;
}

async function createSession(file: string, ep: ExecutionProvider, opts: LoadModelOptions): Promise<InferenceSession> {
  const options: InferenceSession.SessionOptions = {
    executionProviders: ep === 'cuda' ? [{ name: 'cuda', deviceId: opts.deviceId ?? 0 }, 'cpu'] : ['cpu'],
    graphOptimizationLevel: 'all',
    ...(opts.intraOpThreads ? { intraOpNumThreads: opts.intraOpThreads } : {}),
  };
  try {
    return await InferenceSession.create(file, options);
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0] ?? '';
    if (ep === 'cuda')
      throw new RuntimeError('CUDA_UNAVAILABLE', `cannot start CUDA for ${file} (${msg}); ${CUDA_INSTALL_HINT}`, file);
    throw new RuntimeError('SESSION_FAILED', `onnxruntime cannot load ${file} (${msg}); re-run the export`, file);
  }
}

/** Whether the caller asked for a particular Hub repo's merges.txt rather than the bundled CLIP vocab. */
function namesVocabRepo(o: FetchVocabOptions | false | undefined): boolean {
  if (o === false) return false;
  return !!(o?.repo ?? (o?.env ?? process.env).CLIPHUB_VOCAB_REPO?.trim());
}

/** Loads a `cliphub convert --to onnx` dir: reads cliphub.json, opens the towers on the chosen device, finds the tokenizer. */
export async function loadModel(dir: string, opts: LoadModelOptions = {}): Promise<ClipModel> {
  const manifest = await readManifest(dir);
  const ep = checkExecutionProvider(opts.executionProvider ?? 'cpu');
  if (opts.intraOpThreads !== undefined && !(Number.isInteger(opts.intraOpThreads) && opts.intraOpThreads >= 0)) {
    throw new RuntimeError(
      'BAD_INPUT',
      `intraOpThreads ${opts.intraOpThreads} must be a non-negative integer (0 = onnxruntime's default)`,
    );
  }
  const wanted = opts.towers ?? (Object.keys(manifest.towers) as TowerName[]);
  for (const t of wanted) {
    if (!manifest.towers[t])
      throw new RuntimeError(
        'TOWER_MISSING',
        `${path.join(dir, 'cliphub.json')} has no ${t} tower; export it with --towers ${t}`,
        dir,
      );
  }
  const model: ClipModel = {
    dir,
    manifest,
    executionProvider: ep,
    embedDim: manifest.modelCfg.embed_dim,
    preprocessCfg: manifest.preprocessCfg,
    async dispose() {
      await Promise.all([model.vision?.release(), model.text?.release()]);
    },
  };
  if (wanted.includes('text')) {
    // Wraps open_clip's get_tokenizer; the manifest's context length wins over the config's.
    model.tokenizer = await tokenizerForModel(manifest.modelCfg.text_cfg, {
      modelDir: dir,
      vocabPath: opts.vocabPath,
      bundledVocab: opts.bundledVocab ?? !namesVocabRepo(opts.vocabFetch),
      // Called only when no local vocab is used: merges.txt from the Hub cache, downloaded there once.
      fetchVocab: opts.fetchVocab ?? (opts.vocabFetch === false ? undefined : defaultVocabFetcher(opts.vocabFetch)),
      contextLength: manifest.tokenizer.contextLength,
    });
  }
  for (const t of wanted) {
    model[t] = await createSession(path.join(dir, manifest.towers[t]!.file), ep, opts);
  }
  return model;
}
