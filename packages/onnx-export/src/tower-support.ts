import { Unsupported, resolveText, resolveVision } from './resolve-config.js';
import type { ModelCfg, Tower } from './types.js';

/**
 * Which towers exportOnnx can build for this model_cfg, and why not when it cannot. `hfConfig` is the
 * config.json of an HF text tower cliphub does not ship.
 */
export function towerSupport(
  modelCfg: ModelCfg,
  hfConfig?: Record<string, unknown>,
): Record<Tower, { supported: boolean; reason?: string }> {
  const probe = (resolve: () => unknown) => {
    try {
      resolve();
      return { supported: true };
    } catch (err) {
      if (err instanceof Unsupported) return { supported: false, reason: err.message };
      throw err;
    }
  };
  return { vision: probe(() => resolveVision(modelCfg)), text: probe(() => resolveText(modelCfg, hfConfig)) };
}
