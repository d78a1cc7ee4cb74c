export { DistillError, type DistillErrorCode } from './errors.js';
export { recipeSchema, type Recipe, type RecipeInput, type ModelRef, type StudentRef } from './recipe-schema.js';
export { loadRecipe, parseRecipe, type LoadedRecipe } from './load-recipe.js';
export { listRecipes, findRecipe, RECIPES_DIR, type ShippedRecipe } from './shipped-recipes.js';
export { OPEN_CLIP_TRAIN_ARGS, OPEN_CLIP_TRAIN_VERSION } from './open-clip-train-args.generated.js';
export type { TrainArgSpec } from './train-arg-spec.js';
export { validateTrainArgs, trainArgSpec } from './validate-train-args.js';
export { modelFacts, type ModelFacts, type Role } from './model-facts.js';
export { profileCosts, configCosts, type TowerCosts } from './tower-costs.js';
export { GPU_TYPES, DEFAULT_MFU, gpuType, type GpuType } from './gpus.js';
export { estimateMemory, type MemoryEstimate, type MemoryInputs } from './estimate-memory.js';
export { estimateCompute, type ComputeEstimate, type ComputeInputs } from './estimate-compute.js';
export { computeSchedule, type Schedule } from './schedule.js';
export { buildTrainArgs, localModelDir } from './build-train-args.js';
export { planRecipe, type DistillPlan, type Check, type CheckLevel, type PlanOptions } from './plan-recipe.js';
export { renderLaunchScript, shellQuote, ENTRY_PY, type Launcher } from './launch-script.js';
export { emitLaunch, type EmitOptions, type EmitResult } from './emit-launch.js';
export { findLatestCheckpoint, type FoundCheckpoint } from './find-checkpoint.js';
export {
  finalizeRun,
  readRunParams,
  type FinalizeOptions,
  type FinalizeResult,
  type FinalizeValidation,
} from './finalize-run.js';
export { publishRun, type PublishRunOptions } from './publish-run.js';
export {
  defaultPython,
  findReferenceScript,
  makeReference,
  probeReferencePython,
  type MakeReferenceOptions,
  type ReferencePython,
} from './reference-python.js';
