import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatedFixtures, hasOracle, tempDir } from '#test-support';
import { TorchReaderError } from './errors.js';
import { readLegacyCheckpoint } from './legacy.js';
import { loadPickleTree, openCheckpoint } from './open-checkpoint.js';
import { withFile } from './random-access-file.js';
import { bytes } from './test-utils/pickles.js';
import { readZipItems, writeZip, type ZipItem } from './test-utils/zip-writer.js';

const zoo = path.join(generatedFixtures, 'torch-cases/zoo.zip.pt');
const zooLegacy = path.join(generatedFixtures, 'torch-cases/zoo.legacy.pt');
const tmp = tempDir('torch-reader-errors-');
afterAll(() => tmp.cleanup());

async function failure(p: string): Promise<TorchReaderError> {
  try {
    const ck = await openCheckpoint(p);
    for (const t of ck.tensors) await t.read();
    await ck.close();
  } catch (e) {
    if (!(e instanceof TorchReaderError)) throw e;
    expect(e.exitCode).toBe(2);
    expect(e.message.split('\n')).toHaveLength(1);
    return e;
  }
  throw new Error(`expected ${p} to be refused`);
}

function variant(name: string, data: Uint8Array): string {
  const p = path.join(tmp.dir, name);
  writeFileSync(p, data);
  return p;
}

describe.skipIf(!hasOracle)('bad checkpoints give one-line TorchReaderErrors', () => {
  let items: ZipItem[];
  beforeAll(async () => {
    items = await withFile(zoo, readZipItems);
  });
  const withPickle = (name: string, pkl: Uint8Array): string => {
    const p = path.join(tmp.dir, name);
    writeZip(
      p,
      items.map((i) => (i.name.endsWith('/data.pkl') ? { name: i.name, data: pkl } : i)),
    );
    return p;
  };

  it('a truncated zip', async () => {
    const full = readFileSync(zoo);
    for (const n of [10, Math.floor(full.length / 2), full.length - 30, full.length - 1]) {
      const e = await failure(variant(`trunc-${n}.pt`, full.subarray(0, n)));
      expect(['BAD_ZIP', 'BAD_FORMAT', 'TRUNCATED']).toContain(e.code);
    }
    expect((await failure(variant('trunc-half.pt', full.subarray(0, full.length >> 1)))).message).toMatch(/truncated/);
  });

  it('a wrong magic number (legacy) and a file that is no checkpoint', async () => {
    const legacy = Buffer.from(readFileSync(zooLegacy));
    legacy[6] = (legacy[6] as number) ^ 0xff; // inside the LONG1 magic number
    const e = await failure(variant('magic.pt', legacy));
    expect(e.code).toBe('BAD_FORMAT');
    expect(e.message).toContain('magic number');
    expect((await failure(variant('text.pt', Buffer.from('hello, not a checkpoint\n')))).code).toBe('BAD_FORMAT');
    expect((await failure(variant('empty.pt', new Uint8Array(0)))).code).toBe('BAD_FORMAT');
  });

  it('a storage record that points past the end of the file', async () => {
    // legacy: cut inside the last storage's bytes
    const legacy = readFileSync(zooLegacy);
    const e1 = await failure(variant('legacy-cut.pt', legacy.subarray(0, legacy.length - 3)));
    expect(e1.code).toBe('TRUNCATED');
    expect(e1.message).toContain('past the end');
    // legacy: an element count far beyond the file in the first storage header
    const { storages } = await withFile(zooLegacy, (f) => readLegacyCheckpoint(f, 1 << 20));
    const first = [...storages.values()].sort((a, b) => a.fileOffset - b.fileOffset)[0];
    const patched = Buffer.from(legacy);
    patched.writeBigUInt64LE(1n << 40n, (first?.fileOffset ?? 0) - 8);
    const e3 = await failure(variant('legacy-count.pt', patched));
    expect(e3.code).toBe('TRUNCATED');
    expect(e3.message).toContain('past the end');
    // zip: a data entry whose declared size runs past the file end
    const p = path.join(tmp.dir, 'zip-past-end.pt');
    writeZip(p, items);
    const raw = Buffer.from(readFileSync(p));
    const cdName = Buffer.from(`${items.find((i) => i.name.endsWith('/data/0'))?.name}`);
    const cd = raw.lastIndexOf(cdName);
    raw.writeUInt32LE(0x7fffffff, cd - 46 + 20);
    raw.writeUInt32LE(0x7fffffff, cd - 46 + 24);
    const e2 = await failure(variant('zip-past-end2.pt', raw));
    expect(e2.code).toBe('TRUNCATED');
    expect(e2.message).toContain('past the end');
  });

  it('compressed storages are refused with a hint', async () => {
    const e = await failure(path.join(generatedFixtures, 'torch-reader/deflated.zip.pt'));
    expect(e.code).toBe('BAD_ZIP');
    expect(e.message).toContain('compressed');
  });

  it('a checkpoint whose data.pkl imports os.system names it', async () => {
    const e = await failure(
      withPickle('evil.pt', bytes([0x80, 2], 'cos\nsystem\n', [0x8c, 2], 'id', [0x85, 0x52, 0x2e])),
    );
    expect(e.code).toBe('UNSAFE_GLOBAL');
    expect(e.message).toContain('os.system');
    expect(e.message).toContain('data.pkl');
  });

  it('memo and recursion bombs inside a checkpoint', async () => {
    const level = [0x28, 0x68, 0, 0x68, 0, 0x6c, 0x71, 0];
    const dag = bytes([0x80, 2, 0x5d, 0x71, 0], Array.from({ length: 64 }, () => level).flat(), [0x2e]);
    expect((await failure(withPickle('dag.pt', dag))).code).toBe('BAD_FORMAT'); // a list, not a state dict: fast
    const marks = bytes([0x80, 2], new Array(300_000).fill(0x28), [0x2e]);
    expect((await failure(withPickle('marks.pt', marks))).code).toBe('LIMIT_EXCEEDED');
    expect(await loadPickleTree(withPickle('dag2.pt', dag))).toBeTruthy();
  });

  it('a missing file is an IO_ERROR error', async () => {
    expect((await failure(path.join(tmp.dir, 'nope.pt'))).code).toBe('IO_ERROR');
  });
});
