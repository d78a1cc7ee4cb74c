import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generatedFixtures, hasOracle, tempDir } from '#test-support';
import { dtypeSize } from './dtypes.js';
import { readLegacyCheckpoint } from './legacy.js';
import { openCheckpoint } from './open-checkpoint.js';
import { withFile } from './random-access-file.js';
import { checkpointDigests } from './test-utils/oracle.js';
import { swapBytes } from './torch-tensor.js';

const zoo = path.join(generatedFixtures, 'torch-cases/zoo.legacy.pt');
const tmp = tempDir('torch-reader-legacy-');
afterAll(() => tmp.cleanup());

describe.skipIf(!hasOracle)('legacy checkpoints', () => {
  it('locates every storage by its header without reading data', async () => {
    const { storages, size } = await withFile(zoo, async (f) => ({
      storages: (await readLegacyCheckpoint(f, 1 << 20)).storages,
      size: f.size,
    }));
    const spans = [...storages.values()].sort((a, b) => a.fileOffset - b.fileOffset);
    // storages are back to back after 8-byte headers and end exactly at the end of the file
    for (let i = 1; i < spans.length; i++) {
      const prev = spans[i - 1] as (typeof spans)[0];
      expect((spans[i] as (typeof spans)[0]).fileOffset).toBe(prev.fileOffset + prev.byteLength + 8);
    }
    const last = spans[spans.length - 1] as (typeof spans)[0];
    expect(last.fileOffset + last.byteLength).toBe(size);
  });

  it('byte-swaps storages of a file whose sys_info says big-endian', async () => {
    const raw = Buffer.from(readFileSync(zoo));
    const key = raw.indexOf('little_endian');
    const flag = raw.indexOf(0x88, key); // NEWTRUE right after the key (and its memo PUT)
    expect(flag - key).toBeLessThan(20);
    raw[flag] = 0x89; // NEWFALSE
    const { storages } = await withFile(zoo, (f) => readLegacyCheckpoint(f, 1 << 20));
    const ck = await openCheckpoint(zoo);
    await ck.close();
    const swapped = new Set<string>();
    for (const t of ck.tensors) {
      if (swapped.has(t.storageKey)) continue;
      swapped.add(t.storageKey);
      const loc = storages.get(t.storageKey);
      if (!loc) throw new Error(`no storage ${t.storageKey}`);
      swapBytes(raw.subarray(loc.fileOffset, loc.fileOffset + loc.byteLength), dtypeSize(t.dtype));
    }
    const big = path.join(tmp.dir, 'big-endian.legacy.pt');
    writeFileSync(big, raw);
    expect(await checkpointDigests(big)).toEqual(await checkpointDigests(zoo));
  });
});
