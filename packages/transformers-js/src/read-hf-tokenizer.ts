import { existsSync } from 'node:fs';
import path from 'node:path';
import { CliphubError, readSmallTextFile } from '@cliphub/core';
import { TransformersJsError } from './errors.js';

/** tokenizer.json above this is refused: the largest open_clip tokenizer (XLM-V, 0.9 M pieces) is far below it. */
export const MAX_TOKENIZER_JSON_BYTES = 256 * 1024 * 1024;
/** tokenizer_config.json and special_tokens_map.json are small; anything larger is not one. */
export const MAX_TOKENIZER_CONFIG_BYTES = 4 * 1024 * 1024;

export type JsonObject = Record<string, unknown>;

/** The tokenizer's own files, parsed. */
export interface HfTokenizerSource {
  dir: string;
  tokenizer: JsonObject;
  config: JsonObject;
  specialTokensMap: JsonObject;
}

export const HF_TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'] as const;

/** Whether `dir` holds a tokenizer.json (the one file needed). */
export function hasHfTokenizer(dir: string): boolean {
  return existsSync(path.join(dir, 'tokenizer.json'));
}

/**
 * Reads tokenizer.json (required), tokenizer_config.json and special_tokens_map.json (optional) from `dir`.
 * Each is read through a bounded buffer, so a hostile or wrong file costs at most its cap in memory; a larger
 * one, a missing tokenizer.json or a file that is not a JSON object is refused with exit 2.
 */
export function readHfTokenizer(
  dir: string,
  tokenizerName: string,
  maxBytes = MAX_TOKENIZER_JSON_BYTES,
): HfTokenizerSource {
  if (!hasHfTokenizer(dir)) {
    throw new TransformersJsError(
      'HF_TOKENIZER_MISSING',
      `${path.join(dir, 'tokenizer.json')} not found: this model uses the Hugging Face tokenizer ${tokenizerName}; ` +
        `pass --hf-tokenizer DIR, a folder with its tokenizer.json (and tokenizer_config.json, special_tokens_map.json), ` +
        `or put those files beside the checkpoint`,
    );
  }
  const read = (name: string, cap: number, required: boolean): JsonObject => {
    const file = path.join(dir, name);
    if (!required && !existsSync(file)) return {};
    const text = readCapped(file, cap);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new TransformersJsError('HF_TOKENIZER_BAD', `${file} is not valid JSON (${(e as Error).message})`);
    }
    if (!value || typeof value !== 'object' || Array.isArray(value))
      throw new TransformersJsError('HF_TOKENIZER_BAD', `${file} is not a JSON object`);
    return value as JsonObject;
  };
  return {
    dir,
    tokenizer: read('tokenizer.json', maxBytes, true),
    config: read('tokenizer_config.json', MAX_TOKENIZER_CONFIG_BYTES, false),
    specialTokensMap: read('special_tokens_map.json', MAX_TOKENIZER_CONFIG_BYTES, false),
  };
}

/** The file's text through core's bounded reader, its refusals re-coded as this package's errors. */
function readCapped(file: string, cap: number): string {
  try {
    return readSmallTextFile(file, cap, 'tokenizer file');
  } catch (e) {
    if (!(e instanceof CliphubError)) throw e;
    throw new TransformersJsError(
      e.code === 'FILE_TOO_LARGE' ? 'HF_TOKENIZER_TOO_LARGE' : 'HF_TOKENIZER_BAD',
      e.message,
    );
  }
}
