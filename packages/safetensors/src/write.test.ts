import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasOracle, pythonJson, tempDir } from '#test-support';
import {
  DTYPE_BYTES,
  SafetensorsError,
  bytesSource,
  castFloats,
  fileSources,
  openSafetensors,
  parseSafetensorsHeader,
  writeSafetensors,
  type DType,
  type TensorSource,
} from './index.js';

const { dir, cleanup } = tempDir('cliphub-st-write-');
afterAll(cleanup);

const ALL: DType[] = ['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL'];

/** Deterministic pseudo-random bytes (BOOL gets 0/1 so Python sees real bools). */
function bytesFor(dtype: DType, numel: number, seed: number): Uint8Array {
  const out = new Uint8Array(numel * DTYPE_BYTES[dtype]);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = dtype === 'BOOL' ? (s >>> 0) & 1 : (s >>> 0) & 0xff;
  }
  // Keep floats finite and non-NaN so equality checks in Python are meaningful.
  if (dtype === 'F32') new Float32Array(out.buffer).forEach((_, i, a) => (a[i] = ((i * 7919 + seed) % 1000) / 37 - 13));
  if (dtype === 'F64') new Float64Array(out.buffer).forEach((_, i, a) => (a[i] = ((i * 7919 + seed) % 1000) / 37 - 13));
  if (dtype === 'F16' || dtype === 'BF16') new Uint16Array(out.buffer).forEach((v, i, a) => (a[i] = v & 0x3fff));
  return out;
}

/** A source yielding its bytes in uneven chunks, splitting elements across chunk boundaries. */
function chunkedSource(
  name: string,
  dtype: DType,
  shape: number[],
  bytes: Uint8Array,
  sizes = [3, 1, 7, 64, 5],
): TensorSource {
  return {
    name,
    dtype,
    shape,
    chunks: async function* () {
      let at = 0;
      for (let k = 0; at < bytes.length; k++) {
        const n = sizes[k % sizes.length]!;
        yield bytes.subarray(at, at + n);
        at += n;
      }
    },
  };
}

const numelOf = (shape: number[]): number => shape.reduce((a, d) => a * d, 1);

describe('writeSafetensors', () => {
  const cases: { name: string; dtype: DType; shape: number[]; bytes: Uint8Array }[] = [];
  ALL.forEach((dtype, k) => {
    for (const shape of [[], [0], [3, 0, 2], [5], [2, 3, 4]]) {
      const name = `t.${dtype}.${shape.length}d${shape.join('x')}`;
      cases.push({ name, dtype, shape, bytes: bytesFor(dtype, numelOf(shape), 17 + k) });
    }
  });
  const file = path.join(dir, 'all.safetensors');

  it('round-trips every dtype, 0-d scalars and empty tensors, through uneven chunks', async () => {
    const res = await writeSafetensors(
      file,
      cases.map((c) => chunkedSource(c.name, c.dtype, c.shape, c.bytes)),
      { metadata: { note: 'hi' } },
    );
    expect(res).toEqual({ path: file, bytes: readFileSync(file).length, tensors: cases.length });
    const st = await openSafetensors(file);
    try {
      expect(st.header.metadata).toEqual({ format: 'pt', note: 'hi' });
      expect([...st.header.tensors.keys()]).toEqual(cases.map((c) => c.name));
      expect(st.header.dataStart % 8).toBe(0);
      for (const c of cases) {
        const info = st.header.tensors.get(c.name)!;
        expect(info.dtype).toBe(c.dtype);
        expect(info.shape).toEqual(c.shape);
        expect(await st.readTensor(c.name)).toEqual(c.bytes);
        const parts: Uint8Array[] = [];
        for await (const chunk of st.tensorChunks(c.name, 5)) {
          expect(chunk.length % DTYPE_BYTES[c.dtype]).toBe(0);
          parts.push(chunk);
        }
        expect(Buffer.concat(parts)).toEqual(Buffer.from(c.bytes));
      }
    } finally {
      await st.close();
    }
  });

  it.skipIf(!hasOracle)('writes files Python safetensors loads with identical bytes', () => {
    const got = pythonJson<Record<string, { dtype: string; shape: number[]; hex: string }>>(
      `
import json, sys
from safetensors import safe_open
from safetensors.torch import load_file
t = load_file(sys.argv[1])
out = {}
with safe_open(sys.argv[1], framework="pt") as f:
    assert f.metadata() == {"format": "pt", "note": "hi"}, f.metadata()
    for k in f.keys():
        v = f.get_tensor(k)
        assert v.equal(t[k]) or v.numel() == 0
        out[k] = {"dtype": str(v.dtype), "shape": list(v.shape), "hex": v.contiguous().view(-1).view(__import__("torch").uint8).numpy().tobytes().hex() if v.dtype != __import__("torch").bool else v.to(__import__("torch").uint8).numpy().tobytes().hex()}
print(json.dumps(out))
`,
      [file],
    );
    const torchName: Record<DType, string> = {
      F64: 'torch.float64',
      F32: 'torch.float32',
      F16: 'torch.float16',
      BF16: 'torch.bfloat16',
      I64: 'torch.int64',
      I32: 'torch.int32',
      I16: 'torch.int16',
      I8: 'torch.int8',
      U8: 'torch.uint8',
      BOOL: 'torch.bool',
    };
    expect(Object.keys(got).sort()).toEqual(cases.map((c) => c.name).sort());
    for (const c of cases) {
      expect(got[c.name]).toEqual({
        dtype: torchName[c.dtype],
        shape: c.shape,
        hex: Buffer.from(c.bytes).toString('hex'),
      });
    }
  });

  it('casts floating tensors per chunk (elements split across chunks) and passes integers through', async () => {
    const f32 = new Float32Array([1, -2.5, 3.14159, 65504, 1e-8, 70000, 0.1, -0]);
    const f32Bytes = new Uint8Array(f32.buffer);
    const ints = bytesFor('I64', 4, 3);
    for (const castTo of ['F16', 'BF16', 'F32'] as const) {
      const out = path.join(dir, `cast-${castTo}.safetensors`);
      await writeSafetensors(
        out,
        [
          chunkedSource('w', 'F32', [2, 4], f32Bytes, [3, 6, 1, 2]),
          chunkedSource('ids', 'I64', [4], ints),
          bytesSource('d', 'F64', [2], new Uint8Array(new Float64Array([0.1, 1 / 3]).buffer)),
        ],
        { castTo },
      );
      const st = await openSafetensors(out);
      expect(st.header.tensors.get('w')!.dtype).toBe(castTo);
      expect(st.header.tensors.get('ids')!.dtype).toBe('I64');
      expect(st.header.tensors.get('d')!.dtype).toBe(castTo);
      expect(await st.readTensor('w')).toEqual(castFloats(f32Bytes, 'F32', castTo));
      expect(await st.readTensor('ids')).toEqual(ints);
      expect(await st.readTensor('d')).toEqual(
        castFloats(new Uint8Array(new Float64Array([0.1, 1 / 3]).buffer), 'F64', castTo),
      );
      await st.close();
    }
  });

  it('re-writes an open file through fileSources (streamed, small chunks)', async () => {
    const st = await openSafetensors(file);
    const copy = path.join(dir, 'copy.safetensors');
    await writeSafetensors(copy, fileSources(st, 3), { metadata: { note: 'hi' } });
    await st.close();
    expect(readFileSync(copy)).toEqual(readFileSync(file));
  });

  it('reports progress up to the total file size', async () => {
    const seen: [number, number][] = [];
    const out = path.join(dir, 'progress.safetensors');
    const big = bytesFor('U8', 20 * 1024 * 1024, 5);
    const res = await writeSafetensors(
      out,
      [bytesSource('a', 'U8', [big.length], big), bytesSource('b', 'I8', [3], new Uint8Array(3))],
      {
        onProgress: (w, t) => seen.push([w, t]),
      },
    );
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.every(([, t]) => t === res.bytes)).toBe(true);
    expect(seen[seen.length - 1]![0]).toBe(res.bytes);
    expect(seen.map(([w]) => w)).toEqual([...seen.map(([w]) => w)].sort((a, b) => a - b));
  });

  it('keeps a tensor named like an Object prototype key', async () => {
    const out = path.join(dir, 'proto.safetensors');
    await writeSafetensors(out, [
      bytesSource('__proto__', 'U8', [1], new Uint8Array([7])),
      bytesSource('constructor', 'U8', [1], new Uint8Array([8])),
    ]);
    const h = parseSafetensorsHeader(readFileSync(out), readFileSync(out).length);
    expect([...h.tensors.keys()]).toEqual(['__proto__', 'constructor']);
  });
});

describe('writeSafetensors refuses bad requests and leaves nothing behind', () => {
  const listing = (): string[] => readdirSync(dir).filter((f) => f.startsWith('.') || f.startsWith('bad'));
  const expectCode = async (p: Promise<unknown>, code: string): Promise<void> => {
    const err = await p.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SafetensorsError);
    expect((err as SafetensorsError).code).toBe(code);
    expect((err as SafetensorsError).exitCode).toBe(2);
    expect((err as SafetensorsError).message).not.toContain('\n');
  };

  it('refuses empty, reserved and duplicate names, bad shapes and bad metadata', async () => {
    const out = path.join(dir, 'bad.safetensors');
    const u8 = (name: string): TensorSource => bytesSource(name, 'U8', [1], new Uint8Array(1));
    await expectCode(writeSafetensors(out, [u8('')]), 'BAD_NAME');
    await expectCode(writeSafetensors(out, [u8('__metadata__')]), 'BAD_NAME');
    await expectCode(writeSafetensors(out, [u8('a'), u8('b'), u8('a')]), 'DUPLICATE_NAME');
    await expectCode(writeSafetensors(out, [bytesSource('a', 'U8', [-1], new Uint8Array(0))]), 'BAD_SHAPE');
    await expectCode(writeSafetensors(out, [bytesSource('a', 'U8', [1.5], new Uint8Array(0))]), 'BAD_SHAPE');
    await expectCode(writeSafetensors(out, [bytesSource('a', 'X9' as DType, [1], new Uint8Array(1))]), 'BAD_DTYPE');
    await expectCode(writeSafetensors(out, [u8('a')], { metadata: { format: 'np' } }), 'BAD_METADATA');
    await expectCode(writeSafetensors(out, [u8('a')], { castTo: 'I8' as 'F16' }), 'BAD_OPTIONS');
    expect(listing()).toEqual([]);
  });

  it('refuses a source that yields too few or too many bytes', async () => {
    const out = path.join(dir, 'bad-len.safetensors');
    await expectCode(writeSafetensors(out, [bytesSource('a', 'F32', [4], new Uint8Array(15))]), 'SOURCE_LENGTH');
    await expectCode(writeSafetensors(out, [bytesSource('a', 'F32', [4], new Uint8Array(17))]), 'SOURCE_LENGTH');
    await expectCode(
      writeSafetensors(out, [bytesSource('a', 'F32', [4], new Uint8Array(15))], { castTo: 'F16' }),
      'SOURCE_LENGTH',
    );
    expect(listing()).toEqual([]);
  });

  it('a source that throws mid-stream leaves no file and no temp file, and the error passes through', async () => {
    const out = path.join(dir, 'bad-throw.safetensors');
    const boom = new Error('source exploded');
    const failing: TensorSource = {
      name: 'x',
      dtype: 'U8',
      shape: [30 * 1024 * 1024],
      chunks: async function* () {
        yield new Uint8Array(10 * 1024 * 1024);
        yield new Uint8Array(10 * 1024 * 1024);
        throw boom;
      },
    };
    await expect(writeSafetensors(out, [bytesSource('ok', 'U8', [2], new Uint8Array(2)), failing])).rejects.toBe(boom);
    expect(existsSync(out)).toBe(false);
    expect(listing()).toEqual([]);
  });

  it('a failed write leaves an existing destination untouched', async () => {
    const out = path.join(dir, 'bad-existing.safetensors');
    writeFileSync(out, 'keep me');
    await expectCode(writeSafetensors(out, [bytesSource('a', 'F32', [4], new Uint8Array(3))]), 'SOURCE_LENGTH');
    expect(readFileSync(out, 'utf8')).toBe('keep me');
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('reports a missing destination folder as bad input', async () => {
    await expectCode(writeSafetensors(path.join(dir, 'no/such/dir/x.safetensors'), []), 'NOT_FOUND');
  });
});
