import { beforeAll, describe, expect, it } from 'vitest';
import { hasOracle, pythonJson } from '#test-support';
import { TorchReaderError } from './errors.js';
import { isObject, type PyValue } from './pyvalue.js';
import { bytes, canon, PY_CANON, shortUnicode, u32, u64 } from './test-utils/pickles.js';
import { unpickle } from './unpickle.js';

function refused(p: Uint8Array, opts = {}): TorchReaderError {
  try {
    unpickle(p, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(TorchReaderError);
    return e as TorchReaderError;
  }
  throw new Error('expected the pickle to be refused');
}

describe.skipIf(!hasOracle)('unpickle agrees with Python pickle, protocols 0-5', () => {
  type Row = { proto: number; hex: string; want: unknown };
  let rows: Row[] = [];
  beforeAll(() => {
    rows = pythonJson<Row[]>(`${PY_CANON}
import json, pickle
shared = [1, 2]
values = [None, True, False, 0, 1, -1, 255, 256, 65535, 65536, -2**31, 2**31, 2**63, -2**70, 2**200,
          1.5, -2.25, 1e-300, 3.14159, '', 'plain', "quote ' \\" back\\\\slash\\nnewline", 'h\\u00e9llo \\u2713 \\U0001f600',
          b'', b'\\x00\\xff bytes', bytearray(b'ba\\x00'), [], [1, [2, [3]]], (), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4),
          {}, {'a': 1, 2: 'b', (1, 2): None}, collections.OrderedDict([('z', 1), ('a', 2)]),
          {1, 2}, frozenset({'x'}), [shared, shared], {'k': [0.5] * 300}, list(range(1200))]
rows = []
for proto in range(6):
    for v in values:
        rows.append(dict(proto=proto, hex=pickle.dumps(v, protocol=proto).hex(), want=canon(v)))
print(json.dumps(rows))
`);
  });

  it('decodes every value at every protocol', () => {
    expect(rows.length).toBeGreaterThan(200);
    for (const r of rows) {
      const got = canon(unpickle(Buffer.from(r.hex, 'hex')));
      expect({ proto: r.proto, v: got }).toEqual({ proto: r.proto, v: r.want });
    }
  });

  it('keeps shared references shared (memo)', () => {
    const v = unpickle(bytes([0x80, 2, 0x5d, 0x71, 0, 0x4b, 7, 0x61, 0x68, 0, 0x68, 0, 0x86, 0x2e])) as PyValue;
    const t = v as { kind: 'tuple'; items: PyValue[] };
    expect(t.items[0]).toBe(t.items[1]);
  });
});

describe('unpickle refuses globals outside the allow-list', () => {
  const bad: Array<[string, string]> = [
    ['os', 'system'],
    ['builtins', 'eval'],
    ['subprocess', 'Popen'],
    ['posix', 'system'],
  ];
  const arg = bytes([0x8c, 4], 'echo');
  const variants: Record<string, (m: string, n: string) => Uint8Array> = {
    GLOBAL: (m, n) => bytes([0x80, 2], `c${m}\n${n}\n`, arg, [0x85, 0x52, 0x2e]),
    STACK_GLOBAL: (m, n) => bytes([0x80, 4], shortUnicode(m), shortUnicode(n), [0x93], arg, [0x85, 0x52, 0x2e]),
    INST: (m, n) => bytes('(', "S'echo hi'\n", `i${m}\n${n}\n`, '.'),
    OBJ: (m, n) => bytes('(', `c${m}\n${n}\n`, "S'echo hi'\n", 'o.'),
    NEWOBJ: (m, n) => bytes([0x80, 2], `c${m}\n${n}\n`, arg, [0x85, 0x81, 0x2e]),
    REDUCE: (m, n) => bytes(`c${m}\n${n}\n(S'echo hi'\ntR.`),
    // the classic BUILD attack: give an allowed object a __setstate__, then BUILD it again
    BUILD: (m, n) =>
      bytes(
        [0x80, 2],
        'cargparse\nNamespace\n)',
        [0x81],
        '}',
        shortUnicode('__setstate__'),
        `c${m}\n${n}\n`,
        's',
        'b',
        arg,
        'b.',
      ),
  };
  for (const [m, n] of bad) {
    for (const [op, make] of Object.entries(variants)) {
      it(`${m}.${n} via ${op}`, () => {
        const e = refused(make(m, n));
        expect(e.code).toBe('UNSAFE_GLOBAL');
        expect(e.exitCode).toBe(2);
        expect(e.message).toContain(`${m}.${n}`);
        expect(e.message.split('\n')).toHaveLength(1);
      });
    }
  }

  it('maps Python 2 names before checking (__builtin__.eval is builtins.eval)', () => {
    expect(refused(bytes("c__builtin__\neval\n(S'1'\ntR.")).message).toContain('builtins.eval');
  });

  it('refuses the copyreg extension registry', () => {
    expect(refused(bytes([0x80, 2, 0x82, 1, 0x2e])).code).toBe('UNSAFE_GLOBAL');
  });

  it('BUILD never calls __setstate__ on allowed objects: the state stays inert data', () => {
    const p = bytes(
      [0x80, 2],
      'cargparse\nNamespace\n)',
      [0x81],
      '}',
      shortUnicode('__setstate__'),
      'ctorch._utils\n_rebuild_tensor_v2\n',
      's',
      'b',
      arg,
      'b.',
    );
    const v = unpickle(p);
    expect(isObject(v) && v.state).toBe('echo');
  });

  it('refuses calling an allowed value that is not a constructor', () => {
    const e = refused(bytes('ctorch\nfloat32\n)R.'));
    expect(e.code).toBe('BAD_PICKLE');
    expect(e.message).toContain('torch.float32');
  });

  it('refuses persistent ids outside a checkpoint', () => {
    expect(refused(bytes([0x80, 2, 0x4b, 1, 0x51, 0x2e])).code).toBe('BAD_PICKLE');
  });
});

describe('unpickle bounds hostile input', () => {
  it('a memo bomb (more memo entries than allowed) is an LIMIT_EXCEEDED error', () => {
    const put = Array.from({ length: 2000 }, (_, i) => [0x72, ...u32(i * 7919)]).flat();
    const e = refused(bytes([0x80, 2, 0x4e], put, [0x2e]), { maxMemo: 1000 });
    expect(e.code).toBe('LIMIT_EXCEEDED');
    expect(e.message).toContain('memo');
  });

  it('a doubling memo DAG (2^60 leaves) unpickles in linear time and memory', () => {
    const level = [0x28, 0x68, 0, 0x68, 0, 0x6c, 0x71, 0]; // MARK GET0 GET0 LIST PUT0
    const p = bytes([0x80, 2, 0x5d, 0x71, 0], Array.from({ length: 60 }, () => level).flat(), [0x2e]);
    const v = unpickle(p) as PyValue[];
    expect(v[0]).toBe(v[1]);
  });

  it('a recursion bomb of nested MARKs is an LIMIT_EXCEEDED error', () => {
    const e = refused(bytes([0x80, 2], new Array(200_000).fill(0x28), [0x2e]));
    expect(e.code).toBe('LIMIT_EXCEEDED');
  });

  it('a deep nesting built through the memo does not recurse in the VM', () => {
    const level = [0x5d, 0x68, 0, 0x61, 0x71, 0, 0x30]; // EMPTY_LIST GET0 APPEND PUT0 POP
    const p = bytes(
      [0x80, 2, 0x5d, 0x71, 0, 0x30],
      Array.from({ length: 200_000 }, () => level).flat(),
      [0x68, 0, 0x2e],
    );
    expect(Array.isArray(unpickle(p))).toBe(true);
  });

  it('huge declared lengths are truncation errors, not allocations', () => {
    for (const p of [
      bytes([0x80, 4, 0x8d], u64(1n << 40n), 'x.'),
      bytes([0x80, 4, 0x8e], u64((1n << 62n) + 5n), 'x.'),
      bytes([0x80, 3, 0x42], u32(0xffffffff), 'x.'),
      bytes([0x80, 2, 0x58], u32(0x7fffffff), 'x.'),
    ]) {
      expect(refused(p).code).toBe('TRUNCATED');
    }
  });

  it('bytearray(10**12) is refused by the allocation bound', () => {
    const e = refused(
      bytes([0x80, 2], 'c__builtin__\nbytearray\n', [0x8a, 6], u64(10n ** 12n).slice(0, 6), [0x85, 0x52, 0x2e]),
    );
    expect(e.code).toBe('LIMIT_EXCEEDED');
  });

  it('integer literals longer than Python allows are refused', () => {
    expect(refused(bytes('L', '9'.repeat(5000), 'L\n.')).code).toBe('LIMIT_EXCEEDED');
  });

  it('stack underflow and unknown opcodes are BAD_PICKLE errors', () => {
    expect(refused(bytes([0x80, 2, 0x61, 0x2e])).code).toBe('BAD_PICKLE');
    expect(refused(bytes([0x80, 2, 0xff])).code).toBe('BAD_PICKLE');
    expect(refused(bytes([0x80, 2, 0x4e])).code).toBe('TRUNCATED');
  });
});
