import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generatedFixtures, hasOracle, tempDir } from '#test-support';
import { withFile } from './random-access-file.js';
import { checkpointDigests, oracleDigests } from './test-utils/oracle.js';
import { readZipItems, writeZip } from './test-utils/zip-writer.js';
import { memorySource } from './byte-source.js';
import { readZipDirectory } from './zip.js';

const source = path.join(generatedFixtures, 'torch-reader/proto2.zip.pt');
const tmp = tempDir('torch-reader-zip-');
afterAll(() => tmp.cleanup());

describe.skipIf(!hasOracle)('ZIP64', () => {
  it('reads an archive whose entries lie above 4 GiB (sparse file), as torch.load does', async () => {
    const items = await withFile(source, readZipItems);
    const prefix = (items[0]?.name ?? '').split('/')[0] as string;
    const big = path.join(tmp.dir, 'above-4gib.pt');
    // a sparse padding entry first, so every real entry and the central directory sit past 4 GiB
    writeZip(big, [{ name: `${prefix}/.data/padding`, sparse: 2 ** 32 + 4096 }, ...items]);
    const { entries, size } = await withFile(big, async (check) => ({
      entries: await readZipDirectory(check),
      size: check.size,
    }));
    expect(size).toBeGreaterThan(2 ** 32);
    expect(entries.filter((e) => e.name.includes('/data/')).every((e) => e.headerOffset > 2 ** 32)).toBe(true);

    const want = oracleDigests([{ mode: 'load', path: big }]).get(`${big}|load`);
    const got = await checkpointDigests(big);
    expect(got).toEqual(want?.tensors);
    expect(got).toEqual(await checkpointDigests(source));
  });
});

describe('zip directory', () => {
  it('parses ZIP64 extra fields and the ZIP64 end record when every field is saturated', async () => {
    const items = await withFile(source, readZipItems);
    const p = path.join(tmp.dir, 'z64.pt');
    writeZip(p, items, { zip64: true });
    const entries = await withFile(p, readZipDirectory);
    expect(entries.map((e) => [e.name, e.size])).toEqual(items.map((i) => [i.name, i.data?.length]));
    expect(await checkpointDigests(p)).toEqual(await checkpointDigests(source));
  });
});

describe('zip directory bounds', () => {
  it('refuses a central directory that claims more entries than a checkpoint can need, before reading it', async () => {
    // an end record claiming 300,000 entries in a 13.8 MB directory that a 22-byte file cannot hold
    const eocd = Buffer.alloc(22);
    eocd.writeUInt32LE(0x06054b50, 0);
    eocd.writeUInt16LE(0xffff, 8);
    eocd.writeUInt16LE(0xffff, 10);
    eocd.writeUInt32LE(300_000 * 46, 12);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0);
    loc.writeBigUInt64LE(0n, 8);
    const rec = Buffer.alloc(56);
    rec.writeUInt32LE(0x06064b50, 0);
    rec.writeBigUInt64LE(300_000n, 24);
    rec.writeBigUInt64LE(300_000n, 32);
    rec.writeBigUInt64LE(BigInt(300_000 * 46), 40);
    const file = Buffer.concat([rec, loc, eocd]);
    await expect(readZipDirectory(memorySource(file, 'many.pt'))).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
  });
});
