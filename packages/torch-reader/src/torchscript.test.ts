import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generatedFixtures, hasOracle, pythonJson } from '#test-support';
import { TorchReaderError } from './errors.js';
import { openCheckpoint } from './open-checkpoint.js';
import type { PyObject } from './pyvalue.js';
import { parseModuleLists, splitExtraBuffers, torchscriptState } from './torchscript.js';

const models = path.join(generatedFixtures, 'models');
const scripted = existsSync(models)
  ? readdirSync(models)
      .sort()
      .map((m) => path.join(models, m, 'torchscript.pt'))
      .filter((p) => existsSync(p))
  : [];
const NAMES = [
  'num_heads',
  'head_dim',
  'embed_dim',
  'context_length',
  'vocab_size',
  'batch_first',
  'text_pool_type',
  'eps',
  'normalized_shape',
  'stride',
  'training',
];

describe.skipIf(!hasOracle)('TorchScript module attributes', () => {
  let want: Record<string, Record<string, unknown>> = {};
  beforeAll(() => {
    want = pythonJson<Record<string, Record<string, unknown>>>(
      String.raw`
import json, sys, torch
names = json.loads(sys.argv[1])
out = {}
for p in sys.argv[2:]:
    m, d = torch.jit.load(p), {}
    for prefix, mod in m.named_modules():
        for n in names:
            if hasattr(mod, n):
                v = getattr(mod, n)
                if isinstance(v, (tuple, list)): v = list(v)
                if isinstance(v, (int, float, str, bool, list)): d[(prefix + '.' if prefix else '') + n] = v
    out[p] = d
print(json.dumps(out))
`,
      [JSON.stringify(NAMES), ...scripted],
    );
  });

  it.each(scripted.map((p) => [path.basename(path.dirname(p)), p]))(
    '%s: attributes match torch.jit.load',
    async (_n, p) => {
      const ck = await openCheckpoint(p);
      await ck.close();
      const ours = Object.fromEntries(
        Object.entries(ck.attributes).filter(([k]) => NAMES.includes(k.slice(k.lastIndexOf('.') + 1))),
      );
      expect(ours).toEqual(want[p]);
      expect(Object.keys(ours).some((k) => k.endsWith('attn.num_heads'))).toBe(true);
    },
  );

  it('reports the non-persistent attn_mask buffers apart', async () => {
    const ck = await openCheckpoint(scripted[0] as string);
    await ck.close();
    expect(ck.extraBuffers).toContain('attn_mask');
    expect(ck.tensors.some((t) => t.name.endsWith('attn_mask'))).toBe(false);
  });
});

describe('torchscriptState', () => {
  const mod = (name: string, state: Map<unknown, unknown>): PyObject =>
    ({ kind: 'object', module: '__torch__.m', name, args: [], state }) as PyObject;

  it('parses __parameters__ and __buffers__ per class', () => {
    const lists = parseModuleLists(
      new Map([
        [
          'code/__torch__/m.py',
          'class A(Module):\n  __parameters__ = ["w", "b", ]\n  __buffers__ = ["mask", ]\n  w : Tensor\n  eps : Final[float] = 1.0000000000000001e-05\n  stride : Final[Tuple[int, int]] = (8, 8)\n  ok : Final[bool] = True\n  mode : Final[str] = "x"\n  n : Final[Optional[int]] = None\n',
        ],
      ]),
    );
    expect(lists.get('__torch__.m.A')).toEqual({
      parameters: ['w', 'b'],
      buffers: ['mask'],
      constants: { eps: 1e-5, stride: [8, 8], ok: true, mode: 'x' },
    });
  });

  it('scans a class followed by 2M blank lines in linear time (T6: the body regex went quadratic)', () => {
    const src = `class M(Module):\n${'\n'.repeat(2_000_000)}class N(Module):\n  __parameters__ = ["w", ]\n`;
    const lists = parseModuleLists(new Map([['code/__torch__/evil.py', src]]));
    expect(lists.get('__torch__.evil.M')).toEqual({ parameters: [], buffers: [], constants: {} });
    expect(lists.get('__torch__.evil.N')?.parameters).toEqual(['w']);
  });

  it('bounds hostile constant lines: long digit runs, deep brackets, huge lines', () => {
    const body = [
      `  a : Final[int] = ${'1'.repeat(200_000)}x`,
      `  b : Final[Tuple[int]] = ${'('.repeat(100_000)}1${')'.repeat(100_000)}`,
      `  c : Final[${'['.repeat(100_000)}`,
      `  d : Final[float] = 2.5`,
      `  e : Final[Tuple[int, int]] = (3, 4)`,
      `  __parameters__ = [${'"p", '.repeat(50_000)}]`,
    ];
    const lists = parseModuleLists(new Map([['code/__torch__/m.py', `class A(Module):\n${body.join('\n')}\n`]]));
    const a = lists.get('__torch__.m.A');
    expect(a?.constants).toEqual({ d: 2.5, e: [3, 4] });
    expect(a?.parameters).toHaveLength(50_000);
  });

  it('refuses module trees nested absurdly deep', () => {
    let m = mod('A', new Map());
    for (let i = 0; i < 5000; i++) m = mod('A', new Map([['child', m]]));
    expect(() => torchscriptState(m, new Map(), 'x.pt')).toThrow(TorchReaderError);
  });

  it('visits shared and cyclic submodules once', () => {
    const shared = mod('A', new Map([['k', 3]]));
    const root = mod(
      'R',
      new Map<unknown, unknown>([
        ['a', shared],
        ['b', shared],
      ]),
    );
    (root.state as Map<unknown, unknown>).set('self', root);
    expect(torchscriptState(root, new Map(), 'x.pt').attributes).toEqual({ 'a.k': 3 });
  });
});

describe('splitExtraBuffers', () => {
  it('drops non-persistent buffers by leaf name and OpenAI metadata tensors at the top level only', () => {
    const e = (name: string, buffer: boolean) => ({ name, buffer });
    const { kept, extra } = splitExtraBuffers(
      [
        e('attn_mask', true),
        e('a.attn_mask', true),
        e('b.attn_mask', false),
        e('input_resolution', true),
        e('vocab_size', false),
        e('x.context_length', true),
        e('w', false),
      ],
      ['attn_mask'],
    );
    expect(extra).toEqual(['attn_mask', 'a.attn_mask', 'input_resolution', 'vocab_size']);
    expect(kept.map((k) => k.name)).toEqual(['b.attn_mask', 'x.context_length', 'w']);
  });
});
