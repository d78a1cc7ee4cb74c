import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generatedFixtures, hasOracle, needsShared, sharedFixtures } from '#test-support';
import { openCheckpoint } from './open-checkpoint.js';
import { digestTensor, oracleDigests, type OracleMode, type OracleView } from './test-utils/oracle.js';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const models = path.join(generatedFixtures, 'models');
const cases = path.join(generatedFixtures, 'torch-reader');
const zoo = path.join(generatedFixtures, 'torch-cases');

interface Case {
  path: string;
  mode: OracleMode;
  format: 'zip' | 'legacy' | 'torchscript';
}

function allCases(): Case[] {
  const out: Case[] = [];
  const modelNames = existsSync(models) ? readdirSync(models).sort() : [];
  for (const m of modelNames) {
    const d = path.join(models, m);
    out.push({ path: path.join(d, 'open_clip_pytorch_model.bin'), mode: 'load', format: 'zip' });
    out.push({ path: path.join(d, 'legacy.bin'), mode: 'load', format: 'legacy' });
    out.push({ path: path.join(d, 'epoch_1.pt'), mode: 'load', format: 'zip' });
    if (existsSync(path.join(d, 'torchscript.pt')))
      out.push({ path: path.join(d, 'torchscript.pt'), mode: 'jit', format: 'torchscript' });
  }
  out.push({ path: path.join(zoo, 'zoo.zip.pt'), mode: 'load', format: 'zip' });
  out.push({ path: path.join(zoo, 'zoo.legacy.pt'), mode: 'load', format: 'legacy' });
  for (const f of ['proto2.zip.pt', 'prefix.zip.pt', 'bigendian.zip.pt', 'zip64.zip.pt'])
    out.push({ path: path.join(cases, f), mode: 'load', format: 'zip' });
  out.push({ path: path.join(cases, 'proto2.legacy.pt'), mode: 'load', format: 'legacy' });
  // weights_only lacks FRAME (protocol >= 4) and argparse.Namespace: the full unpickler is the reference
  for (const f of ['proto4.zip.pt', 'proto5.zip.pt', 'with_args.pt'])
    out.push({ path: path.join(cases, f), mode: 'load-unsafe', format: 'zip' });
  out.push({ path: path.join(cases, 'proto4.legacy.pt'), mode: 'load-unsafe', format: 'legacy' });
  return out;
}

function sharedCases(): Case[] {
  if (!sharedFixtures) return [];
  const tiny = path.join(sharedFixtures, 'tiny');
  return readdirSync(tiny)
    .sort()
    .flatMap((m) =>
      readdirSync(path.join(tiny, m))
        .filter((f) => /\.(bin|pt)$/.test(f))
        .sort()
        .map((f) => ({ path: path.join(tiny, m, f), mode: 'load' as const, format: 'zip' as const })),
    );
}

const useShared = hasOracle && needsShared('torch-reader conformance on the shared GPU-made checkpoints');

describe.each([
  ['generated', allCases(), hasOracle],
  ['shared', sharedCases(), useShared],
] as const)('openCheckpoint matches torch.load / torch.jit.load (%s fixtures)', (_set, list, enabled) => {
  let oracle: Map<string, OracleView>;
  beforeAll(() => {
    if (enabled) oracle = oracleDigests([...list]);
  });

  it.skipIf(!enabled)('covers the fixtures', () => {
    if (_set === 'generated') {
      expect(list.filter((c) => c.format === 'torchscript').length).toBeGreaterThanOrEqual(4);
      expect(list.length).toBeGreaterThanOrEqual(30);
    } else expect(list.length).toBeGreaterThanOrEqual(3);
  });

  it
    .skipIf(!enabled)
    .each(list.map((c) => [path.basename(path.dirname(c.path)) + '/' + path.basename(c.path), c] as const))(
    '%s',
    async (_name, c) => {
      const want = oracle.get(`${c.path}|${c.mode}`) as OracleView;
      const ck = await openCheckpoint(c.path);
      try {
        expect(ck.format).toBe(c.format);
        const got = [];
        const raw = readFileSync(c.path);
        for (const t of ck.tensors) {
          const d = await digestTensor(t);
          got.push(d);
          // a verbatim file span must hold exactly the tensor's bytes
          if (t.fileSpan) {
            expect(sha256(raw.subarray(t.fileSpan.offset, t.fileSpan.offset + t.fileSpan.length))).toBe(d.sha256);
            // and readInto reads any part of it into a caller's buffer
            const at = Math.floor(t.byteLength / 3);
            const part = new Uint8Array(t.byteLength - at);
            await t.readInto?.(at, part);
            expect(
              Buffer.from(part).equals(raw.subarray(t.fileSpan.offset + at, t.fileSpan.offset + t.byteLength)),
            ).toBe(true);
            await expect(t.readInto?.(at, new Uint8Array(t.byteLength - at + 1))).rejects.toMatchObject({
              code: 'OUT_OF_RANGE',
            });
          } else {
            expect(t.readInto).toBeNull();
            expect(t.contiguous && c.path.includes('bigendian')).toBe(t.contiguous);
          }
        }
        if (c.format === 'torchscript') {
          // torch.jit state_dict also holds the non-persistent attn_mask buffers, which we report apart
          const extra = new Set(ck.extraBuffers);
          expect(want.tensors.map((t) => t.name).filter((n) => extra.has(n))).toEqual(ck.extraBuffers);
          expect(got).toEqual(want.tensors.filter((t) => !extra.has(t.name)));
        } else {
          expect(got).toEqual(want.tensors);
          expect(ck.dropped).toEqual(want.dropped);
          expect(ck.strippedPrefix).toBe(want.prefix);
        }
      } finally {
        await ck.close();
      }
    },
  );
});
