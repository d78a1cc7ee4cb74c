import { TorchReaderError } from './errors.js';
import { describeValue, isDict, isTensor, type PyTensor, type PyValue } from './pyvalue.js';

export interface UnwrappedStateDict {
  /** Tensor entries in file order, names after prefix stripping. */
  tensors: Array<[string, PyTensor]>;
  /** Top-level keys dropped around `state_dict` (optimizer, scaler, epoch, ...), and non-tensor entries. */
  dropped: string[];
  strippedPrefix: string | null;
}

const PREFIX = 'module.';
/** Dropped keys listed one by one; a hostile file can hold millions. */
const MAX_DROPPED_LISTED = 1000;

/**
 * Finds the state dict in a checkpoint tree: the root dict itself, or its `state_dict` entry for
 * training checkpoints (open_clip_train's `{epoch, name, state_dict, optimizer, scaler}`). Strips a
 * DistributedDataParallel `module.` prefix only when every tensor name carries it.
 */
export function unwrapStateDict(root: PyValue, path: string): UnwrappedStateDict {
  if (!isDict(root)) {
    throw new TorchReaderError(
      'BAD_FORMAT',
      `${path}: the checkpoint holds no dict of tensors; pass a state dict or a training checkpoint`,
    );
  }
  const dropped: string[] = [];
  let sd = root;
  const inner = root.get('state_dict');
  if (inner !== undefined && isDict(inner)) {
    sd = inner;
    for (const k of root.keys()) if (k !== 'state_dict') dropped.push(describeValue(k));
  }
  const tensors: Array<[string, PyTensor]> = [];
  for (const [k, v] of sd) {
    if (typeof k === 'string' && isTensor(v)) tensors.push([k, v]);
    else dropped.push(describeValue(k));
  }
  if (dropped.length > MAX_DROPPED_LISTED) {
    const more = dropped.length - MAX_DROPPED_LISTED;
    dropped.length = MAX_DROPPED_LISTED;
    dropped.push(`… and ${more} more`);
  }
  const strip = tensors.length > 0 && tensors.every(([k]) => k.startsWith(PREFIX));
  if (strip) for (const e of tensors) e[0] = e[0].slice(PREFIX.length);
  return { tensors, dropped, strippedPrefix: strip ? PREFIX : null };
}
