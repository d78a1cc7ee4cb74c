// Fuzzing the pickle VM itself with opcode-level mutations (issue 17): seed pickles from real
// torch.save / torch.jit.save files and Python's pickler are disassembled into ops, then ops are
// inserted, deleted, duplicated, swapped, spliced and repeated thousands of times, and arguments, memo
// indices, lengths, text literals, globals and protocols are changed. Every case must end in a value or a one-line
// TorchReaderError, within 1 s and the VM's allocation budget.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generatedFixtures, hasOracle, pythonJson, repoRoot, seededRandom } from '#test-support';
import { memorySource } from './byte-source.js';
import { storageItemSize } from './dtypes.js';
import { TorchReaderError } from './errors.js';
import { storageFromPersistentId } from './persistent-id.js';
import { describeValue, isDict, isObject, type PyTensor } from './pyvalue.js';
import { withFile } from './random-access-file.js';
import { assemble, disassemble, OPCODES, type Op } from './test-utils/pickle-ops.js';
import { bytes } from './test-utils/pickles.js';
import { makeTorchTensor } from './torch-tensor.js';
import { torchscriptState } from './torchscript.js';
import { unpickle } from './unpickle.js';
import { unwrapStateDict } from './unwrap.js';
import { entryDataOffset, readZipDirectory } from './zip.js';

interface Seed {
  name: string;
  ops: Op[];
  torchscript: boolean;
}

/** The data.pkl of a torch zip archive. */
async function dataPkl(file: string): Promise<Uint8Array> {
  return withFile(file, async (f) => {
    const e = (await readZipDirectory(f)).find((x) => x.name.endsWith('/data.pkl'));
    if (!e) throw new Error(`${file} has no data.pkl`);
    return f.read(await entryDataOffset(f, e), e.size);
  });
}

// Hand-made seeds that reach the opcodes torch files never use (protocol 0 text ops, sets, frames).
const HAND_MADE: Array<[string, Uint8Array]> = [
  [
    'protocol 0 text ops',
    bytes(
      "(lp0\nI1\naI01\naL12345678901234567890L\naF0.5\naS'a\\x41\\n'\np1\naVh\\u00e9\np2\nag1\nag2\na(dp3\nS'k'\nI-7\nsa(I1\nI2\ntp4\na.",
    ),
  ],
  [
    'protocol 4 framed',
    bytes(
      [0x80, 4, 0x95],
      [40, 0, 0, 0, 0, 0, 0, 0],
      [0x8c, 11],
      'collections',
      [0x94, 0x8c, 11],
      'OrderedDict',
      [0x94, 0x93, 0x94, 0x29, 0x52, 0x94, 0x8f, 0x94, 0x28, 0x4b, 1, 0x4b, 2, 0x90, 0x28, 0x4b, 3, 0x91, 0x86, 0x2e],
    ),
  ],
  [
    'protocol 5 bytes and buffers',
    bytes(
      [0x80, 5, 0x5d, 0x94, 0x28, 0x43, 3],
      'abc',
      [0x42, 2, 0, 0, 0],
      'de',
      [0x8e, 1, 0, 0, 0, 0, 0, 0, 0],
      'f',
      [0x96, 1, 0, 0, 0, 0, 0, 0, 0],
      'g',
      [0x98, 0x88, 0x89, 0x4e, 0x4a, 0xff, 0xff, 0xff, 0xff, 0x4d, 0xff, 0xff, 0x47],
      [0x3f, 0xf8, 0, 0, 0, 0, 0, 0],
      [0x8a, 2, 0x01, 0x80, 0x65, 0x2e],
    ),
  ],
  [
    'records, INST, OBJ, NEWOBJ_EX, BUILD, PERSID',
    bytes(
      [0x80, 2],
      'cargparse\nNamespace\n)',
      [0x81, 0x7d, 0x8c, 2],
      'lr',
      [0x47, 0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a, 0x73, 0x62, 0x28],
      ']itorch\nSize\n',
      [0x28],
      'ctorch\ndevice\n',
      "S'cpu'\no",
      'ctorch\nSize\n)}',
      [0x92, 0x28],
      "S'storage'\nctorch\nFloatStorage\nS'0'\nS'cpu'\nI4\nt",
      [0x51, 0x87, 0x2e],
    ),
  ],
];

const GLOBALS: Array<[string, string]> = [
  ['collections', 'OrderedDict'],
  ['torch._utils', '_rebuild_tensor_v2'],
  ['torch._utils', '_rebuild_tensor_v3'],
  ['torch._utils', '_rebuild_parameter'],
  ['torch._tensor', '_rebuild_from_type_v2'],
  ['torch.nn.parameter', 'Parameter'],
  ['torch', 'FloatStorage'],
  ['torch', 'HalfStorage'],
  ['torch', 'float32'],
  ['torch', 'Size'],
  ['torch', 'device'],
  ['builtins', 'list'],
  ['__builtin__', 'set'],
  ['builtins', 'tuple'],
  ['builtins', 'dict'],
  ['builtins', 'bytearray'],
  ['builtins', 'frozenset'],
  ['copyreg', '_reconstructor'],
  ['_codecs', 'encode'],
  ['argparse', 'Namespace'],
  ['numpy.core.multiarray', 'scalar'],
  ['numpy', 'dtype'],
  ['torch.jit._pickle', 'build_intlist'],
  ['__torch__.m', 'M'],
  ['os', 'system'],
  ['builtins', 'eval'],
  ['builtins', 'getattr'],
  ['subprocess', 'Popen'],
];
const TEXT: Record<string, string[]> = {
  INT: [
    '0',
    '1',
    '01',
    '00',
    '-1',
    '2147483648',
    '99999999999999999999',
    '9'.repeat(4300),
    '9'.repeat(4301),
    'x',
    '',
    '+5',
  ],
  LONG: ['0L', '-12L', `${'7'.repeat(300)}L`, `${'1'.repeat(5000)}L`, 'L', 'abc'],
  FLOAT: ['0.5', 'nan', '-inf', '1e308', '1e999', 'abc', '', '  2.5  '],
  STRING: ["'a'", '"b"', "'\\x4'", "'unterminated", "'\\101\\n\\''", "''", "'\\'"],
  UNICODE: ['abc', 'h\\u00e9', '\\U0001f600', '\\uZZZZ', '\\U99999999', ''],
  GET: ['0', '1', '2', '3', '-1', '999999999', 'x'],
  PUT: ['0', '1', '2', '3', '-1', '4294967296', 'x'],
  PERSID: ['0', 'storage', ''],
};
const NUMBERS = [
  0n,
  1n,
  2n,
  3n,
  4n,
  7n,
  0x7fn,
  0x80n,
  0xffn,
  0x100n,
  0xffffn,
  0x7fffffffn,
  0x80000000n,
  0xffffffffn,
  -1n,
];
const LENGTHS = [0n, 1n, 7n, 255n, 65536n, 0x7fffffffn, 0xffffffffn, 1n << 40n, (1n << 63n) - 1n];

function fuzzer(r: () => number, seeds: Seed[]) {
  const int = (n: number): number => Math.floor(r() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const codes = Object.keys(OPCODES).map(Number);
  const randomData = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => int(256));
  const memoIndex = (): bigint => BigInt(r() < 0.8 ? int(8) : pick([255, 256, 65535, 0x7fffffff, 0xffffffff]));

  const randomOp = (): Op => {
    const code = pick(codes);
    const { name, arg } = OPCODES[code]!;
    if (name.endsWith('GET') || name.endsWith('PUT')) {
      if (arg === 'line') return { code, lines: [pick(TEXT[name.slice(-3)]!)] };
      return { code, num: memoIndex() };
    }
    switch (arg) {
      case 'u1':
      case 'u2':
      case 'u4':
      case 'i4':
      case 'u8':
        return { code, num: name === 'PROTO' ? BigInt(int(7)) : pick(NUMBERS) };
      case 'f8':
        return { code, data: randomData(8) };
      case 'len1':
      case 'len4':
      case 'len8': {
        if (arg !== 'len1' && r() < 0.05) return { code, data: new Uint8Array(1 << (16 + int(5))).fill(int(256)) }; // 64 KiB-1 MiB
        const data =
          name.includes('UNICODE') && r() < 0.5
            ? Buffer.from(pick(['w', 'bias', 'état', '\u{1f600}']))
            : randomData(int(24));
        return { code, data, declared: r() < 0.85 ? BigInt(data.length) : pick(LENGTHS) };
      }
      case 'line':
        return { code, lines: [pick(TEXT[name] ?? ['x'])] };
      case 'line2':
        return { code, lines: [...pick(GLOBALS)] };
      default:
        return { code };
    }
  };

  const mutateArg = (op: Op): Op => {
    const { name, arg } = OPCODES[op.code]!;
    const out: Op = { ...op };
    if (name.endsWith('GET') || name.endsWith('PUT')) {
      if (arg === 'line') out.lines = [pick(TEXT[name.slice(-3)]!)];
      else out.num = memoIndex();
    } else if (arg === 'len1' || arg === 'len4' || arg === 'len8') {
      const data = op.data ?? new Uint8Array(0);
      const k = int(4);
      if (k === 0) out.declared = pick(LENGTHS);
      else if (k === 1)
        out.declared = BigInt(Math.max(0, data.length + pick([-1, 1, 2]))); // off by one
      else if (k === 2) out.data = data.subarray(0, int(data.length + 1));
      else {
        const d = Uint8Array.from(data);
        if (d.length) d[int(d.length)] = int(256);
        out.data = d;
      }
    } else if (arg === 'line') out.lines = [pick(TEXT[name] ?? ['x'])];
    else if (arg === 'line2') out.lines = r() < 0.5 ? [...pick(GLOBALS)] : [pick(GLOBALS)[0], pick(GLOBALS)[1]];
    else if (arg === 'f8') out.data = randomData(8);
    else if (arg !== 'none') out.num = name === 'PROTO' ? BigInt(int(8)) : pick(NUMBERS);
    else return randomOp();
    return out;
  };

  return (seed: Seed): { ops: Op[]; flips: number } => {
    const ops = seed.ops.slice();
    const n = 1 + int(4);
    for (let m = 0; m < n; m++) {
      const at = int(ops.length);
      switch (int(10)) {
        case 0:
          ops.splice(at, 1); // delete
          break;
        case 1:
          ops.splice(at, 0, ops[at] as Op); // duplicate
          break;
        case 2: {
          const other = r() < 0.5 ? Math.min(ops.length - 1, at + 1) : int(ops.length); // swap
          [ops[at], ops[other]] = [ops[other] as Op, ops[at] as Op];
          break;
        }
        case 3:
        case 4:
          ops.splice(at, 0, randomOp()); // insert
          break;
        case 5:
        case 6:
          ops[at] = mutateArg(ops[at] as Op); // change an argument, memo index, length or literal
          break;
        case 7: {
          // splice a run of ops from another seed
          const donor = pick(seeds).ops;
          const from = int(donor.length);
          ops.splice(at, 0, ...donor.slice(from, from + 1 + int(16)));
          break;
        }
        case 8: {
          // amplify: a run of ops repeated up to 4096 times (copies, appends, memo traffic at scale)
          const run = ops.slice(at, at + 1 + int(6));
          const times = 2 ** (1 + int(12));
          const repeated: Op[] = [];
          for (let k = 0; k < times; k++) repeated.push(...run);
          ops.splice(at, 0, ...repeated);
          break;
        }
        default: {
          // change, add or drop the protocol
          const proto = ops.findIndex((o) => o.code === 0x80);
          if (proto >= 0 && r() < 0.7) ops[proto] = { code: 0x80, num: BigInt(int(8)) };
          else if (proto >= 0) ops.splice(proto, 1);
          else ops.unshift({ code: 0x80, num: BigInt(int(6)) });
        }
      }
    }
    return { ops, flips: r() < 0.1 ? 1 + int(3) : 0 };
  };
}

const zeros = memorySource(new Uint8Array(1 << 16), 'fuzz-storage');

/** Everything a checkpoint reader does with a pickle: unpickle, unwrap, describe keys, build and read tensors. */
async function exercise(p: Uint8Array, torchscript: boolean): Promise<void> {
  const root = unpickle(p, { torchscript, persistentLoad: (pid) => storageFromPersistentId(pid, 'fuzz') });
  let tensors: Array<[string, PyTensor]> = [];
  if (torchscript && isObject(root) && root.module.startsWith('__torch__')) {
    tensors = torchscriptState(root, new Map(), 'fuzz').entries.map((e) => [e.name, e.tensor]);
  } else if (isDict(root)) {
    const u = unwrapStateDict(root, 'fuzz');
    for (const d of u.dropped) if (d.length > 1000) throw new Error('unbounded key description');
    tensors = u.tensors;
  } else describeValue(root);
  for (const [name, t] of tensors.slice(0, 32)) {
    const itemsize = storageItemSize(t.storage.storageType) ?? 1;
    const byteLength = Math.min(t.storage.numel * itemsize, zeros.size);
    const tensor = makeTorchTensor(name, t, { fileOffset: 0, byteLength, swap: false }, zeros);
    if (tensor.byteLength <= 1 << 16) await tensor.read();
  }
}

describe('fuzzing the pickle VM with opcode-level mutations', () => {
  const seeds: Seed[] = [];
  beforeAll(async () => {
    const add = (name: string, pkl: Uint8Array, torchscript = false): void => {
      seeds.push({ name, ops: disassemble(pkl), torchscript });
    };
    add(
      'examples/tiny-clip data.pkl',
      await dataPkl(path.join(repoRoot, 'examples/tiny-clip/open_clip_pytorch_model.bin')),
    );
    for (const [name, p] of HAND_MADE) add(name, p);
    if (!hasOracle) return;
    for (const [name, ts] of [
      ['torch-reader/proto2.zip.pt', false],
      ['torch-reader/proto4.zip.pt', false],
      ['torch-reader/proto5.zip.pt', false],
      ['models/tiny-vit-gelu/epoch_1.pt', false],
      ['models/tiny-vit-quickgelu/torchscript.pt', true],
    ] as const) {
      const file = path.join(generatedFixtures, name);
      if (existsSync(file)) add(name, await dataPkl(file), ts);
    }
    // Python's own pickler at every protocol, on values that use every container and number opcode.
    const pickles = pythonJson<string[]>(`
import collections, json, pickle
shared = [1, 2]
values = [{'a': [1, 2.5, None, True], 'b': (1,), 'c': (1, 2), 'd': (1, 2, 3), 'e': (1, 2, 3, 4), 2**70: -2**40},
          [shared, shared, {1, 2}, frozenset({'x'}), b'\\x00\\xff', bytearray(b'ab'), 'h\\u00e9 \\U0001f600'],
          collections.OrderedDict([('z', [0.5] * 30), ('a', list(range(300)))])]
print(json.dumps([pickle.dumps(v, protocol=p).hex() for p in range(6) for v in values]))
`);
    pickles.forEach((hex, i) => add(`python protocol ${Math.floor(i / 3)} #${i % 3}`, Buffer.from(hex, 'hex')));
  });

  it('10,000+ mutated pickles: a value or a one-line TorchReaderError, each within 1 s', async () => {
    // Every seed round-trips through the disassembler and opens cleanly before mutation.
    for (const s of seeds) await exercise(assemble(s.ops), s.torchscript);
    const r = seededRandom(17_2024);
    const mutate = fuzzer(r, seeds);
    const codes = new Map<string, number>();
    let ok = 0;
    let slowest = 0;
    const heapBefore = process.memoryUsage().heapUsed;
    let heapPeak = heapBefore;
    const total = 10_500;
    for (let i = 0; i < total; i++) {
      const seed = seeds[i % seeds.length] as Seed;
      const { ops, flips } = mutate(seed);
      const p = assemble(ops);
      for (let f = 0; f < flips; f++) {
        const at = Math.floor(r() * p.length);
        p[at] = (p[at] as number) ^ (1 << Math.floor(r() * 8));
      }
      const started = performance.now();
      try {
        await exercise(p, seed.torchscript);
        ok++;
      } catch (e) {
        if (!(e instanceof TorchReaderError)) {
          throw new Error(
            `case ${i} (seed ${seed.name}): ${e instanceof Error ? e.stack : String(e)}\npickle: ${Buffer.from(p.subarray(0, 400)).toString('hex')}`,
          );
        }
        if (e.message.includes('\n')) throw new Error(`case ${i}: multi-line error message: ${e.message}`);
        codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
      }
      slowest = Math.max(slowest, performance.now() - started);
      if ((i & 15) === 0) heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    }
    console.log(
      `unpickle fuzz: ${total} cases from ${seeds.length} seeds, ${ok} values, slowest ${slowest.toFixed(1)} ms, heap peak +${((heapPeak - heapBefore) / 2 ** 20).toFixed(0)} MiB, errors ${JSON.stringify(Object.fromEntries(codes))}`,
    );
    // Both outcomes happen often: mutations reach deep into the VM and most are still caught.
    expect(ok).toBeGreaterThan(500);
    expect([...codes.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(3000);
    expect(codes.get('LIMIT_EXCEEDED') ?? 0).toBeGreaterThan(0);
    expect(slowest).toBeLessThan(1000);
    expect(heapPeak - heapBefore).toBeLessThan(300 * 2 ** 20);
  });
});
