export { TransformersJsError } from './errors.js';
export {
  clipTokenizerFiles,
  SOT_TOKEN,
  EOT_TOKEN,
  type ClipCleanMode,
  type ClipTokenizerFiles,
} from './clip-tokenizer-files.js';
export { transformersJsFit, CLIP_VOCAB_SIZE, type LayoutFit, type LayoutPart } from './layout-fit.js';
export { preprocessorConfig } from './preprocessor-config.js';
export { hfConfig } from './hf-config.js';
export {
  convertToTransformersJs,
  parseLayoutDtypes,
  DTYPE_SUFFIX,
  LAYOUT_DTYPES,
  TRANSFORMERS_JS_DTYPE,
  type LayoutDtype,
  type TransformersJsOptions,
  type TransformersJsReport,
} from './convert-to-transformers-js.js';
export { readTransformersJsLayout } from './read-layout.js';
export {
  hfTokenizerFiles,
  cleanNormalizers,
  HF_CLEAN_MODES,
  type HfCleanMode,
  type HfTokenizerLayout,
} from './hf-tokenizer-files.js';
export {
  readHfTokenizer,
  hasHfTokenizer,
  HF_TOKENIZER_FILES,
  MAX_TOKENIZER_JSON_BYTES,
  type HfTokenizerSource,
} from './read-hf-tokenizer.js';
