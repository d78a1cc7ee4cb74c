import { storageItemSize } from './dtypes.js';
import { TorchReaderError } from './errors.js';
import { readLegacyCheckpoint } from './legacy.js';
import type { PyTensor, PyValue } from './pyvalue.js';
import type { ByteSource } from './byte-source.js';
import { RandomAccessFile } from './random-access-file.js';
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
  /** Largest pickle (data.pkl or legacy object pickle) to accept; default 256 MiB. */
  maxPickleBytes?: number;
  /** Leaf names of TorchScript buffers that open_clip registers with persistent=False; default ['attn_mask']. */
  nonPersistentBuffers?: string[];
}

const DEFAULT_MAX_PICKLE = 256 * 1024 * 1024;

interface Parsed {
  format: CheckpointFormat;
  root: PyValue;
  storages: Map<string, StorageLocation>;
  code: Map<string, string>;
}

async function parse(file: ByteSource, maxPickleBytes: number): Promise<Parsed> {
  const head = await file.read(0, Math.min(4, file.size), 'the file header');
  const isZipHead = head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
  const eocd = await findEndOfCentralDirectory(file);
  if (eocd !== null) {
    const z = await readZipCheckpoint(file, maxPickleBytes, eocd);
    return { format: z.torchscript ? 'torchscript' : 'zip', root: z.root, storages: z.storages, code: z.code };
  }
  if (isZipHead) {
    throw new TorchReaderError('E_ZIP', `${file.path}: a zip archive without its central directory; the file is truncated (re-download it)`);
  }
  if (head[0] === 0x80) {
    const l = await readLegacyCheckpoint(file, maxPickleBytes);
    return { format: 'legacy', root: l.root, storages: l.storages, code: new Map() };
  }
  throw new TorchReaderError('E_FORMAT', `${file.path}: neither a torch zip archive nor a legacy torch.save pickle (wrong magic number); pass a PyTorch checkpoint`);
}

function locate(file: ByteSource, parsed: Parsed, name: string, t: PyTensor): StorageLocation {
  const base = parsed.storages.get(t.storage.key);
  if (!base) throw new TorchReaderError('E_TRUNCATED', `${file.path}: tensor ${name} uses storage ${t.storage.key}, which the file does not contain`);
  if (t.storage.elementOffset === 0) return base;
  // Legacy storage views address a slice of their root storage.
  const shift = t.storage.elementOffset * (storageItemSize(t.storage.storageType) ?? 1);
  return { ...base, fileOffset: base.fileOffset + shift, byteLength: Math.max(0, base.byteLength - shift) };
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
    const parsed = await parse(file, options.maxPickleBytes ?? DEFAULT_MAX_PICKLE);
    const make = (name: string, t: PyTensor): TorchTensor => makeTorchTensor(name, t, locate(file, parsed, name, t), file);
    const close = () => file.close();
    if (parsed.format === 'torchscript') {
      const nonPersistent = new Set(options.nonPersistentBuffers ?? ['attn_mask']);
      const ts = torchscriptState(parsed.root, parseModuleLists(parsed.code), path);
      const { kept, extra: extraBuffers } = splitExtraBuffers(ts.entries, nonPersistent);
      const tensors = kept.map((e) => make(e.name, e.tensor));
      return { path, format: 'torchscript', tensors, dropped: [], strippedPrefix: null, attributes: ts.attributes, extraBuffers, close };
    }
    const u = unwrapStateDict(parsed.root, path);
    const tensors = u.tensors.map(([name, t]) => make(name, t));
    return { path, format: parsed.format, tensors, dropped: u.dropped, strippedPrefix: u.strippedPrefix, attributes: {}, extraBuffers: [], close };
  } catch (e) {
    await file.close();
    throw e;
  }
}

/** The raw object tree of a checkpoint's main pickle, storages as references (for inspection and tests). */
export async function loadPickleTree(path: string, options: { maxPickleBytes?: number } = {}): Promise<PyValue> {
  const file = await RandomAccessFile.open(path);
  try {
    return (await parse(file, options.maxPickleBytes ?? DEFAULT_MAX_PICKLE)).root;
  } finally {
    await file.close();
  }
}
