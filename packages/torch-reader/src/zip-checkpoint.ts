import { inflateRawSync } from 'node:zlib';
import { storageItemSize } from './dtypes.js';
import { TorchReaderError } from './errors.js';
import { storageFromPersistentId } from './persistent-id.js';
import type { PyStorage, PyValue } from './pyvalue.js';
import type { ByteSource } from './byte-source.js';
import type { StorageLocation } from './torch-tensor.js';
import { unpickle } from './unpickle.js';
import { entryDataOffset, readZipDirectory, type ZipEntry } from './zip.js';

export interface ZipCheckpoint {
  /** The archive's top folder (`archive`, the file stem, `torchscript`...). */
  prefix: string;
  torchscript: boolean;
  root: PyValue;
  storages: Map<string, StorageLocation>;
  /** TorchScript source files (`code/**.py`), for parameter/buffer lists. */
  code: Map<string, string>;
}

/** TorchScript sources, inflated, in all: real archives hold tens to hundreds of KB. */
const MAX_CODE_BYTES = 16 * 1024 * 1024;

/**
 * Reads a torch zip archive (torch.save since 1.6, and torch.jit.save): finds `<prefix>/data.pkl`,
 * unpickles it with storages resolved to `<prefix>/data/<key>` entries, honouring `byteorder`.
 */
export async function readZipCheckpoint(
  file: ByteSource,
  maxPickleBytes: number,
  eocdAt?: number,
  maxAllocBytes?: number,
): Promise<ZipCheckpoint> {
  const entries = await readZipDirectory(file, eocdAt);
  const first = entries[0];
  const slash = first ? first.name.indexOf('/') : -1;
  if (!first || slash <= 0) {
    throw new TorchReaderError(
      'BAD_FORMAT',
      `${file.path}: a zip archive without a top folder; it is not a PyTorch checkpoint`,
    );
  }
  const prefix = first.name.slice(0, slash);
  const byName = new Map<string, ZipEntry>();
  for (const e of entries) byName.set(e.name, e);
  const entry = (rest: string): ZipEntry | undefined => byName.get(`${prefix}/${rest}`);
  const readEntry = async (e: ZipEntry, limit: number): Promise<Uint8Array> => {
    if (e.size > limit) {
      throw new TorchReaderError(
        'LIMIT_EXCEEDED',
        `${file.path}: ${e.name} is ${e.size} bytes, more than the ${limit}-byte limit; raise maxPickleBytes if the file is trusted`,
      );
    }
    return file.read(await entryDataOffset(file, e), e.size, e.name);
  };
  const pkl = entry('data.pkl');
  if (!pkl) {
    throw new TorchReaderError(
      'BAD_FORMAT',
      `${file.path}: no ${prefix}/data.pkl in the zip archive; it is not a PyTorch checkpoint`,
    );
  }
  const torchscript = entry('constants.pkl') !== undefined;

  let swap = false;
  const order = entry('byteorder');
  if (order) {
    const v = Buffer.from(await readEntry(order, 64)).toString('latin1');
    if (v === 'big') swap = true;
    else if (v !== 'little')
      throw new TorchReaderError(
        'BAD_FORMAT',
        `${file.path}: byteorder is ${JSON.stringify(v.slice(0, 16))}, expected little or big`,
      );
  }

  const used = new Map<string, PyStorage>();
  const root = unpickle(await readEntry(pkl, maxPickleBytes), {
    label: `${file.path} (${pkl.name})`,
    torchscript,
    maxAllocBytes,
    persistentLoad: (pid) => {
      const s = storageFromPersistentId(pid, file.path);
      if (!used.has(s.key)) used.set(s.key, s);
      return s;
    },
  });

  const storages = new Map<string, StorageLocation>();
  for (const [key, s] of used) {
    const e = entry(`data/${key}`);
    if (!e)
      throw new TorchReaderError(
        'TRUNCATED',
        `${file.path}: storage ${key} has no ${prefix}/data/${key} entry; the archive is incomplete`,
      );
    const itemsize = storageItemSize(s.storageType) ?? 1;
    const declared = s.numel * itemsize;
    if (e.size < declared) {
      throw new TorchReaderError(
        'TRUNCATED',
        `${file.path}: storage ${key} holds ${e.size} bytes but declares ${declared}; the archive is corrupt`,
      );
    }
    storages.set(key, { fileOffset: await entryDataOffset(file, e), byteLength: e.size, swap });
  }

  const code = new Map<string, string>();
  if (torchscript) {
    let total = 0;
    for (const e of entries) {
      if (!e.name.startsWith(`${prefix}/code/`) || !e.name.endsWith('.py')) continue;
      code.set(e.name.slice(prefix.length + 1), (await readSource(file, e, MAX_CODE_BYTES - total)).toString('utf8'));
      total += e.size;
    }
  }
  return { prefix, torchscript, root, storages, code };
}

/** TorchScript sources are the one thing torch.jit.save deflates; inflate them with a size bound. */
async function readSource(file: ByteSource, e: ZipEntry, limit: number): Promise<Buffer> {
  if (e.size > limit || e.compressedSize > limit)
    throw new TorchReaderError(
      'LIMIT_EXCEEDED',
      `${file.path}: TorchScript sources exceed ${MAX_CODE_BYTES} bytes (at ${e.name}); the archive is corrupt or hostile`,
    );
  if (e.method === 0) return Buffer.from(await file.read(await entryDataOffset(file, e), e.size, e.name));
  if (e.method !== 8)
    throw new TorchReaderError(
      'BAD_ZIP',
      `${file.path}: entry ${e.name} uses compression method ${e.method}; only stored and deflated entries are supported`,
    );
  const start = await entryDataOffset(file, {
    ...e,
    method: 0,
    compressedSize: e.compressedSize,
    size: e.compressedSize,
  });
  const raw = await file.read(start, e.compressedSize, e.name);
  let out: Buffer;
  try {
    out = inflateRawSync(raw, { maxOutputLength: Math.max(1, e.size) });
  } catch {
    throw new TorchReaderError('BAD_ZIP', `${file.path}: entry ${e.name} does not inflate; the archive is corrupt`);
  }
  if (out.length !== e.size)
    throw new TorchReaderError(
      'BAD_ZIP',
      `${file.path}: entry ${e.name} inflates to ${out.length} bytes, not ${e.size}; the archive is corrupt`,
    );
  return out;
}
