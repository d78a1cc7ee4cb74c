import { textTowerOf, visionTowerOf } from './towers.js';
import type { ModelCfg, RuntimePiece, TokenizerInfo } from './types.js';

/** What a runtime must provide beyond tensors and ops to run this model. */
export function runtimePiecesOf(modelCfg: ModelCfg, tokenizer: TokenizerInfo): RuntimePiece[] {
  const pieces: RuntimePiece[] = [];
  if (visionTowerOf(modelCfg).startsWith('timm-')) pieces.push('timm-vision');
  if (textTowerOf(modelCfg) === 'hf-text') pieces.push('hf-text-model');
  pieces.push(tokenizer.kind === 'hf' ? 'hf-tokenizer' : 'clip-bpe-tokenizer');
  return pieces;
}
