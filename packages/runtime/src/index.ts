export { RuntimeError, type RuntimeErrorCode } from './errors.js';
export {
  checkExecutionProvider,
  ortBinaryDir,
  CUDA_INSTALL_HINT,
  type ExecutionProvider,
} from './execution-provider.js';
export { loadModel, type ClipModel, type LoadModelOptions, type TextTokenizer } from './load-model.js';
export {
  DEFAULT_VOCAB_REPO,
  VocabFetchError,
  defaultVocabFetcher,
  fetchBpeVocab,
  isOffline,
  type FetchVocabOptions,
  type FetchedVocab,
} from './fetch-vocab.js';
export { runVision, runText } from './run-tower.js';
export { l2NormalizeRows } from './l2-normalize.js';
export {
  embedImages,
  type EmbedOptions,
  type EmbedImagesOptions,
  type Embeddings,
  type ImageInput,
  type SkippedInput,
} from './embed-images.js';
export { embedTexts, type TextEmbeddings } from './embed-texts.js';
export { zeroShot, type ZeroShotOptions, type ZeroShotResult } from './zero-shot.js';
export { npyBytes } from './npy.js';
export { fileSha256 } from '@cliphub/core';
