// A minimal STORED zip writer for tests: rebuilds torch archives with hostile pickles, ZIP64 records,
// or a sparse multi-GiB padding entry that pushes later offsets past 4 GiB without using disk.
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import type { RandomAccessFile } from '../random-access-file.js';
import { entryDataOffset, readZipDirectory } from '../zip.js';

export interface ZipItem {
  name: string;
  data?: Uint8Array;
  /** Write this many zero bytes as a hole (sparse file); CRC left 0, which torch does not check for unread entries. */
  sparse?: number;
}

/**
 * The run of fields a local header (from byte 4) and a central directory header (from byte 6) share: version
 * needed, flags, method, time, date (0: stored, no flags, no date), CRC-32, both sizes (saturated for ZIP64),
 * name and extra-field lengths.
 */
function headerFields(
  header: Buffer,
  at: number,
  f: { z64: boolean; crc: number; size: number; nameLength: number; extraLength: number },
): void {
  header.writeUInt16LE(f.z64 ? 45 : 20, at);
  header.writeUInt32LE(f.crc, at + 10);
  header.writeUInt32LE(f.z64 ? 0xffffffff : f.size, at + 14);
  header.writeUInt32LE(f.z64 ? 0xffffffff : f.size, at + 18);
  header.writeUInt16LE(f.nameLength, at + 22);
  header.writeUInt16LE(f.extraLength, at + 24);
}

export function writeZip(path: string, items: ZipItem[], opts: { zip64?: boolean } = {}): void {
  const fd = openSync(path, 'w');
  let pos = 0;
  const put = (b: Uint8Array): void => {
    writeSync(fd, b, 0, b.length, pos);
    pos += b.length;
  };
  const central: Buffer[] = [];
  for (const it of items) {
    const name = Buffer.from(it.name, 'utf8');
    const size = it.sparse ?? it.data?.length ?? 0;
    const crc = it.data ? crc32(it.data) >>> 0 : 0;
    const z64 = opts.zip64 || size >= 0xffffffff || pos >= 0xffffffff;
    const off = pos;
    const x = z64 ? zip64Extra(size) : Buffer.alloc(0);
    const pad = (64 - ((off + 30 + name.length + x.length + 4) % 64)) % 64;
    const padField = Buffer.alloc(4 + pad, 0x5a);
    padField.writeUInt16LE(0x4246, 0);
    padField.writeUInt16LE(pad, 2);
    const h = Buffer.alloc(30);
    h.writeUInt32LE(0x04034b50, 0);
    headerFields(h, 4, { z64, crc, size, nameLength: name.length, extraLength: x.length + padField.length });
    put(Buffer.concat([h, name, x, padField]));
    if (it.data) put(it.data);
    else pos += size;
    const cx = z64 ? zip64Extra(size, off) : Buffer.alloc(0);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(45, 4);
    headerFields(c, 6, { z64, crc, size, nameLength: name.length, extraLength: cx.length });
    c.writeUInt32LE(z64 ? 0xffffffff : off, 42);
    central.push(Buffer.concat([c, name, cx]));
  }
  const cdOff = pos;
  for (const c of central) put(c);
  const cdSize = pos - cdOff;
  const n = items.length;
  const big = opts.zip64 || cdOff >= 0xffffffff;
  if (big) {
    const rec = Buffer.alloc(56);
    rec.writeUInt32LE(0x06064b50, 0);
    rec.writeBigUInt64LE(44n, 4);
    rec.writeUInt16LE(45, 12);
    rec.writeUInt16LE(45, 14);
    rec.writeBigUInt64LE(BigInt(n), 24);
    rec.writeBigUInt64LE(BigInt(n), 32);
    rec.writeBigUInt64LE(BigInt(cdSize), 40);
    rec.writeBigUInt64LE(BigInt(cdOff), 48);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0);
    loc.writeBigUInt64LE(BigInt(pos), 8);
    loc.writeUInt32LE(1, 16);
    put(Buffer.concat([rec, loc]));
  }
  const e = Buffer.alloc(22);
  e.writeUInt32LE(0x06054b50, 0);
  e.writeUInt16LE(big ? 0xffff : n, 8);
  e.writeUInt16LE(big ? 0xffff : n, 10);
  e.writeUInt32LE(big ? 0xffffffff : cdSize, 12);
  e.writeUInt32LE(big ? 0xffffffff : cdOff, 16);
  put(e);
  ftruncateSync(fd, pos);
  closeSync(fd);
}

/** The entries of an existing archive, data included (small fixtures only). */
export async function readZipItems(file: RandomAccessFile): Promise<ZipItem[]> {
  const out: ZipItem[] = [];
  for (const e of await readZipDirectory(file)) {
    out.push({ name: e.name, data: await file.read(await entryDataOffset(file, e), e.size) });
  }
  return out;
}

/** The ZIP64 extra field (id 1): both sizes, and in the central directory also the local header's offset. */
function zip64Extra(size: number, localHeaderOffset?: number): Buffer {
  const x = Buffer.alloc(localHeaderOffset === undefined ? 20 : 28);
  x.writeUInt16LE(1, 0);
  x.writeUInt16LE(x.length - 4, 2);
  x.writeBigUInt64LE(BigInt(size), 4);
  x.writeBigUInt64LE(BigInt(size), 12);
  if (localHeaderOffset !== undefined) x.writeBigUInt64LE(BigInt(localHeaderOffset), 20);
  return x;
}
