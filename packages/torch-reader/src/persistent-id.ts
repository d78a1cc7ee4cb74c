import { TorchReaderError } from './errors.js';
import { hasKind, isTuple, type PyStorage, type PyValue } from './pyvalue.js';

function str(v: PyValue | undefined): string | null {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('latin1');
  return null;
}

/**
 * Decodes a torch persistent id: zip `('storage', type, key, location, numel)` or legacy
 * `('storage', type, root_key, location, numel, view_metadata)`. Anything else is refused, as
 * weights_only does.
 */
export function storageFromPersistentId(pid: PyValue, label: string): PyStorage {
  const bad = (what: string): never => {
    throw new TorchReaderError('BAD_PICKLE', `${label}: ${what}; the file is corrupt or not a PyTorch checkpoint`);
  };
  if (!isTuple(pid)) return bad('a persistent id that is not a tuple');
  const [tag, type, key, location, numel, view] = pid.items;
  if (str(tag) !== 'storage')
    return bad(`a persistent id of kind ${JSON.stringify(str(tag) ?? typeof tag)} (only storages are allowed)`);
  if (!hasKind(type, 'global')) {
    return bad('a storage persistent id without a storage type');
  }
  const k = str(key);
  if (k === null) return bad('a storage persistent id without a key');
  if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0)
    return bad(`storage ${k} with an invalid element count`);
  let elementOffset = 0;
  if (view !== undefined && view !== null) {
    if (
      !isTuple(view) ||
      typeof view.items[1] !== 'number' ||
      !Number.isSafeInteger(view.items[1]) ||
      view.items[1] < 0
    ) {
      return bad(`storage ${k} with malformed view metadata`);
    }
    elementOffset = view.items[1];
  }
  return { kind: 'storage', key: k, storageType: type.name, location: str(location) ?? 'cpu', numel, elementOffset };
}
