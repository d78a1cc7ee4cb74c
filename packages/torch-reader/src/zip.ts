import { TorchReaderError } from './errors.js';
import type { ByteSource } from './byte-source.js';

export interface ZipEntry {
  name: string;
  /** 0 = STORED; torch never compresses. */
  method: number;
  flags: number;
  compressedSize: number;
  size: number;
  /** Offset of the local file header. */
  headerOffset: number;
}

const EOCD = 0x06054b50;
const EOCD64 = 0x06064b50;
const LOCATOR64 = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX_COMMENT = 0xffff;
const MAX_CENTRAL_BYTES = 64 * 1024 * 1024;
/** A torch archive holds one entry per storage plus a few: far fewer than this, whose records cost ~60 MB. */
const MAX_ENTRIES = 1 << 18;

function bad(file: ByteSource, what: string): never {
  throw new TorchReaderError(
    'BAD_ZIP',
    `${file.path}: ${what}; the zip archive is truncated or corrupt (re-download or re-save it)`,
  );
}

function u64(dv: DataView, at: number): number {
  const v = dv.getBigUint64(at, true);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

/** Whether the file ends like a zip archive (an end-of-central-directory record in its tail). */
export async function findEndOfCentralDirectory(file: ByteSource): Promise<number | null> {
  const tailLen = Math.min(file.size, 22 + MAX_COMMENT);
  if (tailLen < 22) return null;
  const tail = await file.read(file.size - tailLen, tailLen, 'the zip end record');
  const dv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  for (let i = tailLen - 22; i >= 0; i--) {
    // The comment length must reach exactly to the end, which rules out signatures inside data.
    if (dv.getUint32(i, true) === EOCD && i + 22 + dv.getUint16(i + 20, true) === tailLen)
      return file.size - tailLen + i;
  }
  return null;
}

/**
 * Reads the central directory from the end of the file (ZIP64 aware). Reads only the directory,
 * never the entries' data.
 */
export async function readZipDirectory(file: ByteSource, eocdAt?: number): Promise<ZipEntry[]> {
  const at = eocdAt ?? (await findEndOfCentralDirectory(file));
  if (at === null) bad(file, 'no end-of-central-directory record');
  const e = await file.read(at, 22, 'the zip end record');
  const dv = new DataView(e.buffer, e.byteOffset, 22);
  let count = dv.getUint16(10, true);
  let cdSize = dv.getUint32(12, true);
  let cdOffset = dv.getUint32(16, true);
  if (dv.getUint16(4, true) !== 0 || dv.getUint16(6, true) !== 0) {
    if (count !== 0xffff) bad(file, 'a multi-disk archive');
  }
  if (at >= 20) {
    const loc = await file.read(at - 20, 20, 'the ZIP64 locator');
    const lv = new DataView(loc.buffer, loc.byteOffset, 20);
    if (lv.getUint32(0, true) === LOCATOR64) {
      const recAt = u64(lv, 8);
      const rec = await file.read(recAt, 56, 'the ZIP64 end record');
      const rv = new DataView(rec.buffer, rec.byteOffset, 56);
      if (rv.getUint32(0, true) !== EOCD64)
        bad(file, `the ZIP64 locator points at byte ${recAt}, which is no ZIP64 end record`);
      count = u64(rv, 32);
      cdSize = u64(rv, 40);
      cdOffset = u64(rv, 48);
    } else if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      bad(file, 'ZIP64 markers without a ZIP64 locator');
    }
  }
  if (cdSize > MAX_CENTRAL_BYTES) bad(file, `a ${cdSize}-byte central directory`);
  if (count > cdSize / 46) bad(file, `${count} entries cannot fit a ${cdSize}-byte central directory`);
  if (count > MAX_ENTRIES)
    throw new TorchReaderError(
      'LIMIT_EXCEEDED',
      `${file.path}: the zip archive lists ${count} entries, more than the ${MAX_ENTRIES} a checkpoint can need; it is corrupt or hostile`,
    );
  const cd = await file.read(cdOffset, cdSize, 'the zip central directory');
  const cv = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cdSize || cv.getUint32(p, true) !== CENTRAL) bad(file, `central directory entry ${i} is malformed`);
    const flags = cv.getUint16(p + 8, true);
    const method = cv.getUint16(p + 10, true);
    let compressedSize = cv.getUint32(p + 20, true);
    let size = cv.getUint32(p + 24, true);
    const nameLen = cv.getUint16(p + 28, true);
    const extraLen = cv.getUint16(p + 30, true);
    const commentLen = cv.getUint16(p + 32, true);
    let headerOffset = cv.getUint32(p + 42, true);
    const end = p + 46 + nameLen + extraLen + commentLen;
    if (end > cdSize) bad(file, `central directory entry ${i} runs past the directory`);
    const name = Buffer.from(cd.buffer, cd.byteOffset + p + 46, nameLen).toString('utf8');
    // ZIP64 extra field: only the fields saturated in the fixed record are present, in this order.
    let x = p + 46 + nameLen;
    const xEnd = x + extraLen;
    while (x + 4 <= xEnd) {
      const id = cv.getUint16(x, true);
      const len = cv.getUint16(x + 2, true);
      if (x + 4 + len > xEnd) bad(file, `entry ${name} has a malformed extra field`);
      if (id === 1) {
        let q = x + 4;
        const field = (): number => {
          if (q + 8 > x + 4 + len) bad(file, `entry ${name} has a short ZIP64 extra field`);
          const v = u64(cv, q);
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = field();
        if (compressedSize === 0xffffffff) compressedSize = field();
        if (headerOffset === 0xffffffff) headerOffset = field();
      }
      x += 4 + len;
    }
    entries.push({ name, method, flags, compressedSize, size, headerOffset });
    p = end;
  }
  return entries;
}

/** The offset of an entry's data, read from its local header; refuses compressed or encrypted entries. */
export async function entryDataOffset(file: ByteSource, entry: ZipEntry): Promise<number> {
  if (entry.method !== 0) {
    throw new TorchReaderError(
      'BAD_ZIP',
      `${file.path}: entry ${entry.name} is compressed (method ${entry.method}); torch writes checkpoints uncompressed, so re-save it with torch.save or re-zip with no compression`,
    );
  }
  if (entry.flags & 1) bad(file, `entry ${entry.name} is encrypted`);
  if (entry.compressedSize !== entry.size) bad(file, `entry ${entry.name} is stored but its sizes differ`);
  const h = await file.read(entry.headerOffset, 30, `the local header of ${entry.name}`);
  const hv = new DataView(h.buffer, h.byteOffset, 30);
  if (hv.getUint32(0, true) !== LOCAL)
    bad(file, `entry ${entry.name} has no local header at byte ${entry.headerOffset}`);
  const start = entry.headerOffset + 30 + hv.getUint16(26, true) + hv.getUint16(28, true);
  if (start + entry.size > file.size) {
    throw new TorchReaderError(
      'TRUNCATED',
      `${file.path}: entry ${entry.name} (${entry.size} bytes at byte ${start}) runs past the end of the ${file.size}-byte file; the file is truncated`,
    );
  }
  return start;
}
