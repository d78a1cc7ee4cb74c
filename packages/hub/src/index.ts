export {
  pushFolder,
  type PushFolderOptions,
  type PushResult,
  type PushProgress,
  type PlannedFile,
} from './push-folder.js';
export { pullRepo, type PullRepoOptions, type PullResult } from './pull-repo.js';
export { buildModelCard, transformersJsSnippet, type ModelCardFacts } from './model-card.js';
export {
  summarizeValidation,
  parseValidationSummary,
  VALIDATION_SUMMARY_FILE,
  type StoredValidationSummary,
  type ValidationSummary,
  type ValidationRow,
} from './validation-summary.js';
export {
  registryCardFacts,
  matchArchitecture,
  modelCfgDiff,
  type RegistryPretrainedFacts,
  type RegistryArchitectureFacts,
} from './registry-facts.js';
export { findTokenizerFiles } from './tokenizer-files.js';
export { discoverToken, defaultCacheDir } from './token.js';
export { parseRepoId } from './repo-id.js';
export { hashFile, gitBlobOid, type FileHashes } from './file-hashes.js';
export { listFolder } from './list-folder.js';
export { HubClientError, redact, type HubClientErrorCode } from './errors.js';
export {
  publishModel,
  requireToken,
  hubUrlFrom,
  DEFAULT_HUB_URL,
  OPEN_CLIP_MODEL_FILES,
  CHECKPOINT_FORMAT_NAMES,
  type PublishModelOptions,
  type PublishedConversion,
} from './publish-model.js';
