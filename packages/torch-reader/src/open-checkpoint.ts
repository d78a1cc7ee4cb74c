import { storageItemSize } from './dtypes.js';
import { TorchReaderError } from './errors.js';
import { readLegacyCheckpoint } from './legacy.js';
import type { PyTensor, PyValue } from './pyvalue.js';
import type { ByteSource } from './byte-source.js';
import { RandomAccessFile, withFile } from './random-access-file.js';
import { makeTorchTensor, type StorageLocation, type TorchTensor } from './torch-tensor.js';
import { parseModuleLists, splitExtraBuffers, torchscriptState } from './torchscript.js';
import { unwrapStateDict } from './unwrap.js';
import { readZipCheckpoint } from './zip-checkpoint.js';
import { findEndOfCentralDirectory } from './zip.js';

export type CheckpointFormat = 'zip' | 'legacy' | 'torchscript';

export interface Checkpoint {
  path: string;
  format: CheckpointFormat;
  /** The state dict, in file order, after unwrapping training checkpoints. */
  tensors: TorchTensor[];
  /** Top-level keys dropped when unwrapping (optimizer, epoch, ...). */
  dropped: string[];
  /** 'module.' when stripped. */
  strippedPrefix: string | null;
  /** TorchScript module attributes by dotted path; {} otherwise. */
  attributes: Record<string, number | string | boolean | number[]>;
  /** TorchScript buffers that open_clip's state_dict lacks (dropped from tensors). */
  extraBuffers: string[];
  close(): Promise<void>;
}

export interface OpenCheckpointOptions {
  /** Largest pickle (data.pkl or legacy object pickle) to accept; default 64 MiB. */
  maxPickleBytes?: number;
  /** Bytes the pickle VM may allocate building the object tree; default 128 MiB (see `unpickle`). */
  maxAllocBytes?: number;
  /** Most tensors in the state dict; default 100,000. */
  maxTensors?: number;
  /**
   * Tensors that share a storage are each read in full (a safetensors file cannot alias them). Their
   * bytes together may be at most this many times the bytes of the distinct storages they use;
   * default 2. More is refused (SHARED_STORAGE), naming the tensors.
   */
  maxCopyRatio?: number;
  /** Leaf names of TorchScript buffers that open_clip registers with persistent=False; default ['attn_mask']. */
  nonPersistentBuffers?: string[];
}

// Real data.pkl files are kilobytes to a few MB (metadata only; tensors live in storages): these bounds
// keep a hostile one to about 200 MB of memory in all.
const DEFAULT_MAX_PICKLE = 64 * 1024 * 1024;
const DEFAULT_MAX_TENSORS = 100_000;
const DEFAULT_MAX_COPY_RATIO = 2;

interface Parsed {
  format: CheckpointFormat;
  root: PyValue;
  storages: Map<string, StorageLocation>;
  code: Map<string, string>;
}

interface Limits {
  maxPickleBytes: number;
  maxAllocBytes: number | undefined;
}

async function parse(file: ByteSource, { maxPickleBytes, maxAllocBytes }: Limits): Promise<Parsed> {
  const head = await file.read(0, Math.min(4, file.size), 'the file header');
  const isZipHead = head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
  const eocd = await findEndOfCentralDirectory(file);
  if (eocd !== null) {
    const z = await readZipCheckpoint(file, maxPickleBytes, eocd, maxAllocBytes);
    return { format: z.torchscript ? 'torchscript' : 'zip', root: z.root, storages: z.storages, code: z.code };
  }
  if (isZipHead) {
    throw new TorchReaderError(
      'BAD_ZIP',
      `${file.path}: a zip archive without its central directory; the file is truncated (re-download it)`,
    );
  }
  if (head[0] === 0x80) {
    const l = await readLegacyCheckpoint(file, maxPickleBytes, maxAllocBytes);
    return { format: 'legacy', root: l.root, storages: l.storages, code: new Map() };
  }
  throw new TorchReaderError(
    'BAD_FORMAT',
    `${file.path}: neither a torch zip archive nor a legacy torch.save pickle (wrong magic number); pass a PyTorch checkpoint`,
  );
}

function locate(file: ByteSource, parsed: Parsed, name: string, t: PyTensor): StorageLocation {
  const base = parsed.storages.get(t.storage.key);
  if (!base)
    throw new TorchReaderError(
      'TRUNCATED',
      `${file.path}: tensor ${name} uses storage ${t.storage.key}, which the file does not contain`,
    );
  if (t.storage.elementOffset === 0) return base;
  // Legacy storage views address a slice of their root storage.
  const shift = t.storage.elementOffset * (storageItemSize(t.storage.storageType) ?? 1);
  return { ...base, fileOffset: base.fileOffset + shift, byteLength: Math.max(0, base.byteLength - shift) };
}

/**
 * Tensors that share a storage are all read in full, so a file of one 1 MiB storage and 200 names for
 * it would convert to 200 MiB. Allows the copies up to `ratio` times the distinct storage bytes they
 * come from (so the output stays within a small multiple of the input) and names the worst offenders.
 */
function checkCopies(
  path: string,
  tensors: TorchTensor[],
  storages: Map<string, StorageLocation>,
  ratio: number,
): void {
  const users = new Map<string, TorchTensor[]>();
  let copied = 0;
  for (const t of tensors) {
    copied += t.byteLength;
    const list = users.get(t.storageKey);
    if (list) list.push(t);
    else users.set(t.storageKey, [t]);
  }
  let distinct = 0;
  for (const key of users.keys()) distinct += storages.get(key)?.byteLength ?? 0;
  if (copied <= ratio * distinct) return;
  // The storage whose tensors add the most bytes beyond its own size is the one to name.
  let worst: { key: string; tensors: TorchTensor[]; excess: number } | null = null;
  for (const [key, list] of users) {
    if (list.length < 2) continue;
    const excess = list.reduce((a, t) => a + t.byteLength, 0) - (storages.get(key)?.byteLength ?? 0);
    if (!worst || excess > worst.excess) worst = { key, tensors: list, excess };
  }
  const named = worst
    ? `${worst.tensors.length} tensors (${worst.tensors
        .slice(0, 5)
        .map((t) => t.name)
        .join(
          ', ',
        )}${worst.tensors.length > 5 ? ', …' : ''}) share storage ${worst.key} (${storages.get(worst.key)?.byteLength ?? 0} bytes); in all, `
    : '';
  throw new TorchReaderError(
    'SHARED_STORAGE',
    `${path}: ${named}tensors sharing storages would be copied into ${copied} bytes, more than ${ratio}× the ${distinct} bytes of the storages they use; safetensors cannot alias tensors, so the output would balloon. Save each tensor with .clone() if the copies are meant`,
  );
}

/**
 * Opens a PyTorch checkpoint (zip, legacy, or TorchScript) without executing anything in it.
 * Only the pickles are read up front; tensor bytes are streamed on demand from the file.
 */
export async function openCheckpoint(path: string, options: OpenCheckpointOptions = {}): Promise<Checkpoint> {
  return openCheckpointSource(await RandomAccessFile.open(path), options);
}

/** `openCheckpoint` over any ByteSource (memory, for example); the checkpoint owns and closes it. */
export async function openCheckpointSource(file: ByteSource, options: OpenCheckpointOptions = {}): Promise<Checkpoint> {
  const path = file.path;
  try {
    const parsed = await parse(file, {
      maxPickleBytes: options.maxPickleBytes ?? DEFAULT_MAX_PICKLE,
      maxAllocBytes: options.maxAllocBytes,
    });
    const maxTensors = options.maxTensors ?? DEFAULT_MAX_TENSORS;
    const makeAll = (entries: Array<[string, PyTensor]>): TorchTensor[] => {
      if (entries.length > maxTensors) {
        throw new TorchReaderError(
          'LIMIT_EXCEEDED',
          `${path}: the state dict holds ${entries.length} tensors, more than the ${maxTensors} cliphub accepts; the file is corrupt or hostile`,
        );
      }
      const tensors = entries.map(([name, t]) => makeTorchTensor(name, t, locate(file, parsed, name, t), file));
      checkCopies(path, tensors, parsed.storages, options.maxCopyRatio ?? DEFAULT_MAX_COPY_RATIO);
      return tensors;
    };
    const close = () => file.close();
    if (parsed.format === 'torchscript') {
      const nonPersistent = new Set(options.nonPersistentBuffers ?? ['attn_mask']);
      const ts = torchscriptState(parsed.root, parseModuleLists(parsed.code), path);
      const { kept, extra: extraBuffers } = splitExtraBuffers(ts.entries, nonPersistent);
      const tensors = makeAll(kept.map((e) => [e.name, e.tensor]));
      return {
        path,
        format: 'torchscript',
        tensors,
        dropped: [],
        strippedPrefix: null,
        attributes: ts.attributes,
        extraBuffers,
        close,
      };
    }
    const u = unwrapStateDict(parsed.root, path);
    const tensors = makeAll(u.tensors);
    return {
      path,
      format: parsed.format,
      tensors,
      dropped: u.dropped,
      strippedPrefix: u.strippedPrefix,
      attributes: {},
      extraBuffers: [],
      close,
    };
  } catch (e) {
    await file.close();
    throw e;
  }
}

/** The raw object tree of a checkpoint's main pickle, storages as references (for inspection and tests). */
export async function loadPickleTree(
  path: string,
  options: { maxPickleBytes?: number; maxAllocBytes?: number } = {},
): Promise<PyValue> {
  const parsed = await withFile(path, (file) =>
    parse(file, { maxPickleBytes: options.maxPickleBytes ?? DEFAULT_MAX_PICKLE, maxAllocBytes: options.maxAllocBytes }),
  );
  return parsed.root;
}
