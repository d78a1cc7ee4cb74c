import { chooseConfig, type ActivationFlag, type ConfigChoice } from './choose-config.js';
import { ConvertError } from './errors.js';
import { locateCheckpoint, type LocatedCheckpoint } from './locate-checkpoint.js';
import { openWeights, type OpenedWeights } from './open-weights.js';

export interface SourceOptions {
  input: string;
  model?: string;
  activation?: ActivationFlag;
  force?: boolean;
}

export interface OpenedSource {
  located: LocatedCheckpoint;
  weights: OpenedWeights;
  choice: ConfigChoice;
}

/**
 * The first step of every conversion: find the checkpoint, open it, and choose its config and
 * activation. The caller owns `weights` and must close it; on failure it is closed here.
 */
export async function openSource(options: SourceOptions): Promise<OpenedSource> {
  const located = locateCheckpoint(options.input);
  const weights = await openWeights(located.checkpoint);
  try {
    if (weights.tensors.length === 0) {
      throw new ConvertError('EMPTY_CHECKPOINT', `${located.checkpoint} holds no tensors; is it a model checkpoint?`);
    }
    const choice = await chooseConfig({
      tensors: weights.tensors,
      attributes: weights.attributes,
      isTorchScript: weights.format === 'torchscript',
      configPath: located.config,
      model: options.model,
      activation: options.activation,
      force: options.force,
    });
    return { located, weights, choice };
  } catch (e) {
    await weights.close();
    throw e;
  }
}
