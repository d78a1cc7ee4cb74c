import { storageItemSize } from './dtypes.js';
import { TorchReaderError } from './errors.js';
import { storageFromPersistentId } from './persistent-id.js';
import type { PyStorage, PyValue } from './pyvalue.js';
import type { ByteSource } from './byte-source.js';
import { readPickleAt } from './read-pickle.js';
import type { StorageLocation } from './torch-tensor.js';

const MAGIC = 0x1950a86a20f9469cfc6cn;
const PROTOCOL_VERSION = 1001;

export interface LegacyCheckpoint {
  root: PyValue;
  /** Root storage key -> its bytes in the file. */
  storages: Map<string, StorageLocation>;
}

/**
 * Reads a pre-1.6 (`_use_new_zipfile_serialization=False`) checkpoint: magic number, protocol
 * version, sys_info, the object pickle, the storage key list, then each storage as an 8-byte
 * little-endian element count and raw bytes. Storage headers are located by seeking; data is not read.
 */
export async function readLegacyCheckpoint(
  file: ByteSource,
  maxPickleBytes: number,
  maxAllocBytes?: number,
): Promise<LegacyCheckpoint> {
  const small = (offset: number, label: string) =>
    readPickleAt(file, offset, Math.min(maxPickleBytes, 1 << 20), () => ({
      label: `${file.path} (${label})`,
      maxAllocBytes,
    }));
  const bad = (what: string): never => {
    throw new TorchReaderError('BAD_FORMAT', `${file.path}: ${what}; it is not a PyTorch checkpoint or it is corrupt`);
  };
  const magic = await small(0, 'magic number');
  if (magic.value !== MAGIC) {
    bad('wrong magic number (expected 0x1950a86a20f9469cfc6c)');
  }
  const proto = await small(magic.end, 'protocol version');
  if (proto.value !== PROTOCOL_VERSION)
    bad(`unsupported legacy protocol version ${String(proto.value)} (expected 1001)`);
  const sys = await small(proto.end, 'sys_info');
  let littleEndian = true;
  if (sys.value instanceof Map && sys.value.get('little_endian') === false) littleEndian = false;

  let used = new Map<string, PyStorage>();
  const main = await readPickleAt(file, sys.end, maxPickleBytes, () => {
    used = new Map();
    return {
      label: `${file.path} (object pickle)`,
      maxAllocBytes,
      persistentLoad: (pid) => {
        const s = storageFromPersistentId(pid, file.path);
        if (!used.has(s.key)) used.set(s.key, s);
        return s;
      },
    };
  });
  const keysPickle = await readPickleAt(file, main.end, maxPickleBytes, () => ({
    label: `${file.path} (storage keys)`,
    maxAllocBytes,
  }));
  if (!Array.isArray(keysPickle.value) || !keysPickle.value.every((k) => typeof k === 'string')) {
    bad('the storage key list is not a list of strings');
  }
  const keys = keysPickle.value as string[];

  const storages = new Map<string, StorageLocation>();
  let pos = keysPickle.end;
  for (const key of keys) {
    const s = used.get(key);
    if (!s) bad(`storage ${key} is listed but never used by the object pickle`);
    const itemsize = storageItemSize((s as PyStorage).storageType);
    if (itemsize === null) bad(`storage ${key} has unknown type ${(s as PyStorage).storageType}`);
    const header = await file.read(pos, 8, `the header of storage ${key}`);
    const count = new DataView(header.buffer, header.byteOffset, 8).getBigUint64(0, true);
    const bytes = count * BigInt(itemsize as number);
    const dataAt = pos + 8;
    if (BigInt(dataAt) + bytes > BigInt(file.size)) {
      throw new TorchReaderError(
        'TRUNCATED',
        `${file.path}: storage ${key} (${bytes} bytes at byte ${dataAt}) runs past the end of the ${file.size}-byte file; the file is truncated`,
      );
    }
    storages.set(key, { fileOffset: dataAt, byteLength: Number(bytes), swap: !littleEndian });
    pos = dataAt + Number(bytes);
  }
  return { root: main.value, storages };
}
