import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '#test-support';
import { exportOnnx } from '../export-onnx.js';
import type { ExportOptions, ModelCfg } from '../types.js';
import { memorySource, syntheticWeights, type MemTensor } from './memory-source.js';

/**
 * Exports in-memory weights (reads of `failOn` fail) into a scratch folder, for tests of refusals: the error
 * exportOnnx threw (null when it succeeded) and the files it left behind.
 */
export async function exportFailure(
  cfg: ModelCfg,
  tensors: Map<string, MemTensor> = syntheticWeights(cfg),
  options: ExportOptions = {},
  failOn?: string,
): Promise<{ err: unknown; files: string[] }> {
  const { dir, cleanup } = tempDir();
  try {
    const out = path.join(dir, 'out');
    const err = await exportOnnx(cfg, memorySource(tensors, failOn), out, options).then(
      () => null,
      (e: unknown) => e,
    );
    return { err, files: existsSync(out) ? readdirSync(out) : [] };
  } finally {
    cleanup();
  }
}
