import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generatedFixtures, hasOracle, needsShared, pythonJson, sharedFixtures, tempDir } from '#test-support';
import { SafetensorsError, fileSources, openSafetensors, writeSafetensors } from './index.js';

/** Every .safetensors file Python wrote under `root` (one level of model folders). */
function pythonWritten(root: string | null): string[] {
  if (!root || !existsSync(root)) return [];
  return readdirSync(root).flatMap((m) => {
    const d = path.join(root, m);
    return existsSync(d)
      ? readdirSync(d)
          .filter((f) => f.endsWith('.safetensors'))
          .map((f) => path.join(d, f))
      : [];
  });
}

interface PyView {
  metadata: Record<string, string> | null;
  tensors: Record<string, { dtype: string; shape: number[]; sha256: string }>;
}

const PY_DUMP = `
import hashlib, json, sys, torch
from safetensors import safe_open
names = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64",
         torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL"}
out = {}
for f in sys.argv[1:]:
    with safe_open(f, framework="pt") as h:
        ts = {}
        for k in h.keys():
            t = h.get_tensor(k).contiguous()
            raw = t.reshape(-1).view(torch.uint8) if t.dtype != torch.bool else t.reshape(-1).to(torch.uint8)
            ts[k] = {"dtype": names[t.dtype], "shape": list(t.shape), "sha256": hashlib.sha256(raw.numpy().tobytes()).hexdigest()}
        out[f] = {"metadata": h.metadata(), "tensors": ts}
print(json.dumps(out))
`;

async function ourView(file: string): Promise<PyView> {
  const st = await openSafetensors(file);
  try {
    const tensors: PyView['tensors'] = {};
    for (const [name, info] of st.header.tensors) {
      const h = createHash('sha256');
      for await (const chunk of st.tensorChunks(name, 64 * 1024)) h.update(chunk);
      tensors[name] = { dtype: info.dtype, shape: info.shape, sha256: h.digest('hex') };
    }
    return { metadata: st.header.metadata === null ? null : { ...st.header.metadata }, tensors };
  } finally {
    await st.close();
  }
}

describe.skipIf(!hasOracle)('openSafetensors reads what Python safetensors wrote', () => {
  const files = pythonWritten(path.join(generatedFixtures, 'models'));

  it('reads every generated fixture exactly as safe_open does', async () => {
    expect(files.length).toBeGreaterThan(5);
    const py = pythonJson<Record<string, PyView>>(PY_DUMP, files);
    for (const f of files) expect(await ourView(f), f).toEqual(py[f]);
  });

  it.runIf(needsShared('reading the shared oracle safetensors fixtures'))(
    'reads every shared fixture exactly as safe_open does',
    async () => {
      const shared = [
        ...pythonWritten(path.join(sharedFixtures!, 'tiny')),
        ...pythonWritten(path.join(sharedFixtures!, 'full')),
        path.join(sharedFixtures!, 'preprocess/expected_pixels.safetensors'),
      ].filter((f) => existsSync(f));
      expect(shared.length).toBeGreaterThan(4);
      const py = pythonJson<Record<string, PyView>>(PY_DUMP, shared);
      for (const f of shared) expect(await ourView(f), f).toEqual(py[f]);
    },
  );
});

describe.skipIf(!hasOracle)('writer output matches torch casting and save_file', () => {
  const { dir, cleanup } = tempDir('cliphub-st-open-');
  afterAll(cleanup);

  it('a fixture re-written with castTo F16/BF16 equals torch .to(dtype) of each tensor, bit for bit', async () => {
    const src = path.join(generatedFixtures, 'models/tiny-vit-gelu/open_clip_model.safetensors');
    const outs: string[] = [];
    for (const castTo of ['F16', 'BF16', 'F32'] as const) {
      const st = await openSafetensors(src);
      const out = path.join(dir, `${castTo}.safetensors`);
      await writeSafetensors(out, fileSources(st, 4098), { castTo }); // 4098 bytes: chunks end mid-element for F32
      await st.close();
      outs.push(out);
    }
    const res = pythonJson<string[]>(
      `
import json, sys, torch
from safetensors.torch import load_file
src = load_file(sys.argv[1])
bad = []
for f, dt in zip(sys.argv[2:], [torch.float16, torch.bfloat16, torch.float32]):
    got = load_file(f)
    if sorted(got) != sorted(src): bad.append(f + ": keys differ")
    for k, v in src.items():
        want = v.to(dt) if v.is_floating_point() else v
        g = got[k]
        bits = lambda t: t.reshape(-1).view(torch.uint8) if t.dtype != torch.bool else t.reshape(-1)
        if g.dtype != want.dtype or g.shape != want.shape or not torch.equal(bits(g), bits(want.contiguous())):
            bad.append(f + ": " + k)
print(json.dumps(bad))
`,
      [src, ...outs],
    );
    expect(res).toEqual([]);
  });
});

describe('SafetensorsFile', () => {
  const fixture = path.join(generatedFixtures, 'models/tiny-vit-gelu/open_clip_model.safetensors');

  it.skipIf(!existsSync(fixture))('refuses unknown names, bad chunk sizes and use after close', async () => {
    const st = await openSafetensors(fixture);
    await expect(st.readTensor('nope')).rejects.toMatchObject({ code: 'TENSOR_NOT_FOUND', exitCode: 2 });
    const first = [...st.header.tensors.keys()][0]!;
    expect(() => st.tensorChunks(first, 0)).toThrow(SafetensorsError);
    await st.close();
    await st.close();
    await expect(st.readTensor(first)).rejects.toBeInstanceOf(SafetensorsError);
  });

  it.skipIf(!existsSync(fixture))(
    'readInto fills a caller buffer with any span of a tensor and refuses spans outside it',
    async () => {
      const st = await openSafetensors(fixture);
      try {
        for (const name of st.header.tensors.keys()) {
          const whole = await st.readTensor(name);
          const at = Math.floor(whole.byteLength / 3);
          const span = new Uint8Array(whole.byteLength - at);
          await st.readInto(name, at, span);
          expect(Buffer.from(span).equals(Buffer.from(whole.subarray(at))), name).toBe(true);
        }
        const first = [...st.header.tensors.keys()][0]!;
        const size = (await st.readTensor(first)).byteLength;
        await expect(st.readInto(first, 1, new Uint8Array(size))).rejects.toMatchObject({
          code: 'BAD_OPTIONS',
          exitCode: 2,
        });
        await expect(st.readInto(first, -1, new Uint8Array(1))).rejects.toMatchObject({ code: 'BAD_OPTIONS' });
        await expect(st.readInto('nope', 0, new Uint8Array(1))).rejects.toMatchObject({ code: 'TENSOR_NOT_FOUND' });
      } finally {
        await st.close();
      }
    },
  );

  it('reports a missing file as bad input', async () => {
    await expect(openSafetensors('/nonexistent/x.safetensors')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      exitCode: 2,
    });
  });
});
