// The pickle-level attacks of issue 17 (T3, T4, T5, T7), fed to the VM exactly as a hostile data.pkl
// would hold them. Each one hung, crashed or ran out of memory before; now each is bounded.
import { describe, expect, it } from 'vitest';
import { hasOracle, pythonJson } from '#test-support';
import { TorchReaderError } from './errors.js';
import type { PyValue } from './pyvalue.js';
import { bytes, floatStorage, u32 } from './test-utils/pickles.js';
import { unpickle } from './unpickle.js';
import { unwrapStateDict } from './unwrap.js';

function refused(p: Uint8Array, opts = {}): TorchReaderError {
  try {
    unpickle(p, opts);
  } catch (e) {
    if (!(e instanceof TorchReaderError)) throw e;
    expect(e.message.split('\n')).toHaveLength(1);
    return e;
  }
  throw new Error('expected the pickle to be refused');
}

const long4 = (body: Uint8Array): Uint8Array => bytes([0x8b], u32(body.length), body);
/** A memoised list (memo 0) of `n` Nones, built with APPENDS batches as Python's pickler does. */
const noneList = (n: number): Uint8Array => {
  const parts: Array<number[] | string> = [[0x5d, 0x71, 0]];
  for (let done = 0; done < n; done += 1000) parts.push([0x28], 'N'.repeat(Math.min(1000, n - done)), [0x65]);
  return bytes(...parts);
};

describe('T3: LONG/LONG4 integers decode in linear time', () => {
  it('256 LONG4s of 64 KiB each (16 MiB; quadratic decoding took minutes) decode to the right values', () => {
    const body = new Uint8Array(65536).fill(0x11);
    body[65535] = 0x01; // positive, top byte 0x01
    const neg = new Uint8Array(65536).fill(0xee); // two's complement: a large negative number
    const items: Uint8Array[] = [];
    for (let i = 0; i < 128; i++) items.push(long4(body), long4(neg));
    const v = unpickle(bytes([0x80, 2, 0x5d, 0x28], ...items, [0x65, 0x2e])) as bigint[];
    expect(v).toHaveLength(256);
    // Independent check: the value's low and high bytes, and its sign.
    const pos = v[0] as bigint;
    expect(pos & 0xffffn).toBe(0x1111n);
    expect(pos >> BigInt(8 * 65535)).toBe(1n);
    const n = v[1] as bigint;
    expect(n < 0n).toBe(true);
    expect(n & 0xffn).toBe(0xeen);
    expect(-n).toBe((1n << BigInt(8 * 65536)) - BigInt(`0x${'ee'.repeat(65536)}`));
  });

  it('a 1 MiB LONG4 is refused at once, and LONG1 decodes small negatives', () => {
    expect(refused(bytes([0x80, 2], long4(new Uint8Array(1 << 20)), [0x2e])).code).toBe('LIMIT_EXCEEDED');
    expect(unpickle(bytes([0x80, 2, 0x8a, 2, 0xff, 0xfe, 0x2e]))).toBe(-257);
    expect(unpickle(bytes([0x80, 2, 0x8a, 0, 0x2e]))).toBe(0);
  });

  it.skipIf(!hasOracle)('agrees with Python on huge integers at protocols 2-5 (compared in hex)', () => {
    const rows = pythonJson<Array<{ hex: string; want: string }>>(`
import json, pickle
vals = [2**(8*65535) + 12345, -(2**(8*60000)) - 7, 2**64, -2**63, 255, -1]
print(json.dumps([dict(hex=pickle.dumps(v, protocol=p).hex(), want=hex(v)) for p in (2, 3, 4, 5) for v in vals]))
`);
    for (const r of rows) {
      const got = unpickle(Buffer.from(r.hex, 'hex')) as number | bigint;
      const b = BigInt(got);
      expect(b < 0n ? `-0x${(-b).toString(16)}` : `0x${b.toString(16)}`).toBe(r.want);
    }
  });
});

describe('T4: every container copy counts against the allocation budget', () => {
  it('1M Nones copied 400 times with builtins.list is refused (it took 3 GB before)', () => {
    const copies = bytes(
      noneList(1_000_000),
      [0x30, 0x5d, 0x71, 1], // POP, holder list in memo 1
      ...Array.from({ length: 400 }, () => bytes('c__builtin__\nlist\n', [0x68, 0, 0x85, 0x52, 0x61])),
      [0x2e],
    );
    const e = refused(copies);
    expect(e.code).toBe('LIMIT_EXCEEDED');
    expect(e.message).toMatch(/allocate more than 134217728 bytes/);
  });

  // Every route that copies a memoised 1000-item list, 100 times, against a 1 MB budget.
  const list1000 = bytes([0x80, 2], noneList(1000), [0x30]);
  const pairs1000 = bytes(
    [0x80, 2, 0x5d, 0x71, 0, 0x28],
    ...Array.from({ length: 1000 }, (_, i) => bytes([0x4a], u32(i), [0x4e, 0x86])),
    [0x65, 0x30],
  );
  const routes: Array<[string, Uint8Array, Uint8Array]> = [
    ['builtins.list', list1000, bytes('c__builtin__\nlist\n', [0x68, 0, 0x85, 0x52])],
    ['builtins.tuple', list1000, bytes('c__builtin__\ntuple\n', [0x68, 0, 0x85, 0x52])],
    ['builtins.set', list1000, bytes('c__builtin__\nset\n', [0x68, 0, 0x85, 0x52])],
    ['builtins.frozenset', list1000, bytes('c__builtin__\nfrozenset\n', [0x68, 0, 0x85, 0x52])],
    ['torch.Size', list1000, bytes('ctorch\nSize\n', [0x68, 0, 0x85, 0x52])],
    ['torch.jit._pickle.build_intlist', list1000, bytes('ctorch.jit._pickle\nbuild_intlist\n', [0x68, 0, 0x85, 0x52])],
    ['collections.OrderedDict(pairs)', pairs1000, bytes('ccollections\nOrderedDict\n', [0x68, 0, 0x85, 0x52])],
    [
      'builtins.dict(a dict)',
      bytes(pairs1000, 'ccollections\nOrderedDict\n', [0x68, 0, 0x85, 0x52, 0x71, 0, 0x30]),
      bytes('c__builtin__\ndict\n', [0x68, 0, 0x85, 0x52]),
    ],
    [
      'bytearray(a list of ints)',
      bytes([0x80, 2, 0x5d, 0x71, 0, 0x28], Array.from({ length: 1000 }, () => [0x4b, 7]).flat(), [0x65, 0x30]),
      bytes('c__builtin__\nbytearray\n', [0x68, 0, 0x85, 0x52]),
    ],
  ];
  for (const [name, setup, copy] of routes) {
    it(`${name} copies are charged`, () => {
      const p = bytes(setup, [0x5d], ...Array.from({ length: 100 }, () => bytes(copy, [0x61])), [0x2e]);
      expect(() => unpickle(p)).not.toThrow();
      const e = refused(p, { maxAllocBytes: 1_000_000 });
      expect(e.code).toBe('LIMIT_EXCEEDED');
    });
  }

  it('tensor sizes and strides built from a memoised long list are charged per tensor', () => {
    const rebuild = (): Uint8Array =>
      bytes(
        'ctorch._utils\n_rebuild_tensor_v2\n(',
        [0x28],
        "S'storage'\nctorch\nFloatStorage\nS'0'\nS'cpu'\nK\x01t",
        [0x51], // BINPERSID
        [0x4b, 0, 0x68, 0, 0x68, 0, 0x89, 0x4e, 0x74, 0x52],
      );
    const ints = bytes(
      [0x80, 2, 0x5d, 0x71, 0, 0x28],
      Array.from({ length: 1000 }, () => [0x4b, 1]).flat(),
      [0x65, 0x30],
    );
    const p = bytes(ints, [0x5d], ...Array.from({ length: 100 }, () => bytes(rebuild(), [0x61])), [0x2e]);
    const persistentLoad = (): PyValue => floatStorage();
    expect((unpickle(p, { persistentLoad }) as PyValue[]).length).toBe(100);
    expect(refused(p, { persistentLoad, maxAllocBytes: 1_000_000 }).code).toBe('LIMIT_EXCEEDED');
  });
});

describe('T5: huge protocol-0 strings are bounded', () => {
  const big = (n: number): Uint8Array => bytes("S'", 'a'.repeat(n), "'\n.");

  it('a 20 MB STRING decodes within the budget, and a smaller budget refuses it', () => {
    const v = unpickle(big(20_000_000));
    expect(typeof v === 'string' && v.length).toBe(20_000_000);
    expect(refused(big(20_000_000), { maxAllocBytes: 16 * 1024 * 1024 }).code).toBe('LIMIT_EXCEEDED');
  });

  it('UNICODE, BINUNICODE and BINBYTES of 20 MB are charged too', () => {
    const budget = { maxAllocBytes: 16 * 1024 * 1024 };
    expect(refused(bytes('V', 'b'.repeat(20_000_000), '\n.'), budget).code).toBe('LIMIT_EXCEEDED');
    expect(refused(bytes([0x80, 2, 0x58], u32(20_000_000), 'c'.repeat(20_000_000), '.'), budget).code).toBe(
      'LIMIT_EXCEEDED',
    );
    expect(refused(bytes([0x80, 3, 0x42], u32(20_000_000), 'd'.repeat(20_000_000), '.'), budget).code).toBe(
      'LIMIT_EXCEEDED',
    );
  });

  it('unescapes STRING bodies as Python does', () => {
    const cases = [
      "'plain'",
      "'a\\x41\\101\\7\\0z'",
      "'q\\'s\\\\t\\n\\t\\r'",
      '"dq \\" x"',
      "'odd \\q \\8'",
      "'\\xe2\\x9c\\x93'",
    ];
    const ours = cases.map((c) => unpickle(bytes(`S${c}\n.`)));
    expect(ours.slice(0, 5)).toEqual(['plain', 'aAA\x07\x00z', "q's\\t\n\t\r", 'dq " x', 'odd \\q \\8']);
    expect(ours[5]).toBe('\u2713');
    expect(refused(bytes("S'bad \\x4'\n.")).code).toBe('BAD_PICKLE');
    expect(refused(bytes("S'trailing \\'\n.")).code).toBe('BAD_PICKLE');
  });

  it.skipIf(!hasOracle)('STRING decoding agrees with Python pickle (encoding utf-8, as torch.load uses)', () => {
    const lines = ["'plain'", "'a\\x41\\101\\7\\0z'", "'q\\'s\\\\t\\n\\t\\r'", '"dq \\" x"', "'\\xe2\\x9c\\x93 ok'"];
    const want = pythonJson<string[]>(
      `
import json, pickle, sys
print(json.dumps([pickle.loads(b"S" + l.encode() + b"\\n.", encoding="utf-8") for l in json.loads(sys.argv[1])]))
`,
      [JSON.stringify(lines)],
    );
    expect(lines.map((l) => unpickle(bytes(`S${l}\n.`)))).toEqual(want);
  });
});

describe('T7: deep nesting never recurses', () => {
  it('a 100k-deep list used as a dict key is dropped with a short description', () => {
    const idx = u32(0x7fff0000);
    const deep = bytes(
      [0x80, 2, 0x5d, 0x72],
      idx,
      ...Array.from({ length: 100_000 }, () => bytes([0x5d, 0x6a], idx, [0x61, 0x72], idx, [0x30])),
      [0x30, 0x7d, 0x6a],
      idx,
      [0x4b, 1, 0x73, 0x2e],
    );
    const root = unpickle(deep);
    const u = unwrapStateDict(root, 'x.pt');
    expect(u.dropped).toEqual(['<a list of 1 items>']);
  });

  it('_rebuild_from_type_v2 nested 100k deep is refused, not a stack overflow', () => {
    const idx = u32(0x7fff0000);
    const p = bytes(
      [0x80, 2],
      'ctorch._tensor\n_rebuild_from_type_v2\n',
      [0x71, 1], // memo 1: the rebuild global
      'ccollections\nOrderedDict\n',
      [0x71, 2, 0x30, 0x28, 0x68, 2, 0x4e, 0x29, 0x4e, 0x74, 0x72],
      idx,
      [0x30],
      ...Array.from({ length: 100_000 }, () =>
        bytes([0x28, 0x68, 1, 0x4e, 0x6a], idx, [0x4e, 0x74, 0x72], idx, [0x30]),
      ),
      [0x68, 1, 0x6a],
      idx,
      [0x52, 0x2e],
    );
    const e = refused(p);
    expect(e.code).toBe('LIMIT_EXCEEDED');
    expect(e.message).toMatch(/_rebuild_from_type_v2 nested/);
    // once is what torch writes: a subclass around a tensor rebuild
    const once = bytes(
      [0x80, 2],
      'ctorch._tensor\n_rebuild_from_type_v2\n',
      [0x28],
      'ccollections\nOrderedDict\n',
      [0x4e, 0x29, 0x4e, 0x74, 0x52, 0x2e],
    );
    expect(unpickle(once)).toEqual(new Map());
  });

  it('MARK frames and values together stay under the stack bound', () => {
    // 60k values under a MARK, then 60k more: each frame is under 100k, together they are not
    const p = bytes([0x80, 2], 'N'.repeat(60_000), [0x28], 'N'.repeat(60_000), [0x2e]);
    expect(refused(p).code).toBe('LIMIT_EXCEEDED');
  });
});
