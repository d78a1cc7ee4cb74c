export * from './types.js';
export { RegistryError, type RegistryErrorCode } from './errors.js';
export { activationOf } from './activation.js';
export { familyOf, textTowerOf, visionTowerOf } from './towers.js';
export { tokenizerOf } from './tokenizer.js';
export { runtimePiecesOf } from './runtime.js';
export { preprocessCfgFor, OPENAI_MEAN, OPENAI_STD, type PreprocessOverlay } from './preprocess.js';
export { quickGeluDecision, type QuickGeluDecision } from './quickgelu.js';
export { listPretrained, listArchitectures, knownFamilies, type PretrainedFilter, type ListOptions } from './list.js';
export { searchModels, type SearchHit } from './search.js';
export { resolve, type ResolveOptions } from './resolve.js';
export { resolveFromOpenClipConfig } from './resolve-config.js';
export { parseSpec, cleanTag, type ParsedSpec } from './spec.js';
export { closestNames, editDistance } from './suggest.js';
export { makeDefaultHubConfigLoader, hfHubCacheDir, cachedHubFile, type HubConfigLoader } from './hub-loader.js';
export {
  addLocalModel,
  readUserRegistry,
  userRegistryFile,
  type UserModel,
  type AddLocalModelOptions,
} from './user-registry.js';
export { findCheckpointInDir, readOpenClipConfigDir, parseOpenClipConfig } from './config-file.js';
export { loadRegistryData, registryDataDir, type RegistryData } from './data.js';
export { openClipConfigSchema, modelCfgSchema } from './schema.js';
