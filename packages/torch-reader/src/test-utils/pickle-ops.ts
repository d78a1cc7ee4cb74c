// Opcode-level view of pickles for fuzzing: disassemble into ops, mutate ops and their arguments,
// assemble back. Independent of the VM under test: it knows only each opcode's argument layout.

/** How an opcode's argument is laid out after the opcode byte. */
export type ArgKind = 'none' | 'u1' | 'u2' | 'u4' | 'i4' | 'u8' | 'f8' | 'len1' | 'len4' | 'len8' | 'line' | 'line2';

export const OPCODES: Record<number, { name: string; arg: ArgKind }> = {
  0x80: { name: 'PROTO', arg: 'u1' },
  0x95: { name: 'FRAME', arg: 'u8' },
  0x2e: { name: 'STOP', arg: 'none' },
  0x28: { name: 'MARK', arg: 'none' },
  0x30: { name: 'POP', arg: 'none' },
  0x31: { name: 'POP_MARK', arg: 'none' },
  0x32: { name: 'DUP', arg: 'none' },
  0x4e: { name: 'NONE', arg: 'none' },
  0x88: { name: 'NEWTRUE', arg: 'none' },
  0x89: { name: 'NEWFALSE', arg: 'none' },
  0x49: { name: 'INT', arg: 'line' },
  0x4a: { name: 'BININT', arg: 'i4' },
  0x4b: { name: 'BININT1', arg: 'u1' },
  0x4d: { name: 'BININT2', arg: 'u2' },
  0x4c: { name: 'LONG', arg: 'line' },
  0x8a: { name: 'LONG1', arg: 'len1' },
  0x8b: { name: 'LONG4', arg: 'len4' },
  0x46: { name: 'FLOAT', arg: 'line' },
  0x47: { name: 'BINFLOAT', arg: 'f8' },
  0x53: { name: 'STRING', arg: 'line' },
  0x54: { name: 'BINSTRING', arg: 'len4' },
  0x55: { name: 'SHORT_BINSTRING', arg: 'len1' },
  0x56: { name: 'UNICODE', arg: 'line' },
  0x58: { name: 'BINUNICODE', arg: 'len4' },
  0x8c: { name: 'SHORT_BINUNICODE', arg: 'len1' },
  0x8d: { name: 'BINUNICODE8', arg: 'len8' },
  0x42: { name: 'BINBYTES', arg: 'len4' },
  0x43: { name: 'SHORT_BINBYTES', arg: 'len1' },
  0x8e: { name: 'BINBYTES8', arg: 'len8' },
  0x96: { name: 'BYTEARRAY8', arg: 'len8' },
  0x97: { name: 'NEXT_BUFFER', arg: 'none' },
  0x98: { name: 'READONLY_BUFFER', arg: 'none' },
  0x29: { name: 'EMPTY_TUPLE', arg: 'none' },
  0x74: { name: 'TUPLE', arg: 'none' },
  0x85: { name: 'TUPLE1', arg: 'none' },
  0x86: { name: 'TUPLE2', arg: 'none' },
  0x87: { name: 'TUPLE3', arg: 'none' },
  0x5d: { name: 'EMPTY_LIST', arg: 'none' },
  0x6c: { name: 'LIST', arg: 'none' },
  0x61: { name: 'APPEND', arg: 'none' },
  0x65: { name: 'APPENDS', arg: 'none' },
  0x7d: { name: 'EMPTY_DICT', arg: 'none' },
  0x64: { name: 'DICT', arg: 'none' },
  0x73: { name: 'SETITEM', arg: 'none' },
  0x75: { name: 'SETITEMS', arg: 'none' },
  0x8f: { name: 'EMPTY_SET', arg: 'none' },
  0x90: { name: 'ADDITEMS', arg: 'none' },
  0x91: { name: 'FROZENSET', arg: 'none' },
  0x67: { name: 'GET', arg: 'line' },
  0x68: { name: 'BINGET', arg: 'u1' },
  0x6a: { name: 'LONG_BINGET', arg: 'u4' },
  0x70: { name: 'PUT', arg: 'line' },
  0x71: { name: 'BINPUT', arg: 'u1' },
  0x72: { name: 'LONG_BINPUT', arg: 'u4' },
  0x94: { name: 'MEMOIZE', arg: 'none' },
  0x63: { name: 'GLOBAL', arg: 'line2' },
  0x93: { name: 'STACK_GLOBAL', arg: 'none' },
  0x69: { name: 'INST', arg: 'line2' },
  0x6f: { name: 'OBJ', arg: 'none' },
  0x52: { name: 'REDUCE', arg: 'none' },
  0x81: { name: 'NEWOBJ', arg: 'none' },
  0x92: { name: 'NEWOBJ_EX', arg: 'none' },
  0x62: { name: 'BUILD', arg: 'none' },
  0x50: { name: 'PERSID', arg: 'line' },
  0x51: { name: 'BINPERSID', arg: 'none' },
  0x82: { name: 'EXT1', arg: 'u1' },
  0x83: { name: 'EXT2', arg: 'u2' },
  0x84: { name: 'EXT4', arg: 'u4' },
};

/** One opcode with its argument: a number, a length plus data (which may disagree), or text lines. */
export interface Op {
  code: number;
  num?: bigint;
  declared?: bigint;
  data?: Uint8Array;
  lines?: string[];
}

/** The fixed-width integer arguments: their width in bytes and how to read one (little-endian). */
const INT_ARGS: Record<'u1' | 'u2' | 'u4' | 'i4' | 'u8', readonly [number, (dv: DataView, p: number) => bigint]> = {
  u1: [1, (dv, p) => BigInt(dv.getUint8(p))],
  u2: [2, (dv, p) => BigInt(dv.getUint16(p, true))],
  u4: [4, (dv, p) => BigInt(dv.getUint32(p, true))],
  i4: [4, (dv, p) => BigInt(dv.getInt32(p, true))],
  u8: [8, (dv, p) => dv.getBigUint64(p, true)],
};

/** Splits a well-formed pickle into ops up to and including STOP; throws on anything else. */
export function disassemble(b: Uint8Array): Op[] {
  const ops: Op[] = [];
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let p = 0;
  const line = (): string => {
    const nl = b.indexOf(0x0a, p);
    if (nl < 0) throw new Error(`unterminated line at ${p}`);
    const s = Buffer.from(b.subarray(p, nl)).toString('latin1');
    p = nl + 1;
    return s;
  };
  for (;;) {
    const code = b[p++];
    if (code === undefined) throw new Error('no STOP');
    const info = OPCODES[code];
    if (!info) throw new Error(`unknown opcode 0x${code.toString(16)} at ${p - 1}`);
    const op: Op = { code };
    switch (info.arg) {
      case 'u1':
      case 'u2':
      case 'u4':
      case 'i4':
      case 'u8': {
        const [width, read] = INT_ARGS[info.arg];
        op.num = read(dv, p);
        p += width;
        break;
      }
      case 'f8':
        op.data = b.slice(p, p + 8);
        p += 8;
        break;
      case 'len1':
      case 'len4':
      case 'len8': {
        const w = info.arg === 'len1' ? 1 : info.arg === 'len4' ? 4 : 8;
        const n = w === 1 ? dv.getUint8(p) : w === 4 ? dv.getUint32(p, true) : Number(dv.getBigUint64(p, true));
        p += w;
        op.declared = BigInt(n);
        op.data = b.slice(p, p + n);
        p += n;
        break;
      }
      case 'line':
        op.lines = [line()];
        break;
      case 'line2':
        op.lines = [line(), line()];
        break;
      case 'none':
        break;
    }
    ops.push(op);
    if (code === 0x2e) return ops;
  }
}

const WIDTH: Partial<Record<ArgKind, number>> = { u1: 1, u2: 2, u4: 4, i4: 4, u8: 8, len1: 1, len4: 4, len8: 8 };

/** Writes ops back as bytes; arguments are written as given, even when they lie about lengths. */
export function assemble(ops: Op[]): Uint8Array {
  const lines = (op: Op): string => (op.lines ?? ['']).map((l) => `${l}\n`).join('');
  let size = 0;
  for (const op of ops) {
    const arg = OPCODES[op.code]?.arg ?? 'none';
    size += 1 + (WIDTH[arg] ?? 0);
    if (arg === 'f8') size += 8;
    else if (arg === 'len1' || arg === 'len4' || arg === 'len8') size += op.data?.length ?? 0;
    else if (arg === 'line' || arg === 'line2') for (const l of op.lines ?? ['']) size += l.length + 1;
  }
  const out = Buffer.alloc(size);
  let p = 0;
  const fixed = (width: number, signed: boolean, v: bigint): void => {
    if (width <= 4 && v >= -(2n ** 31n) && v < 2n ** 32n) {
      // the common case without BigInt arithmetic: bytes of the low 32 bits
      let n = Number(v) >>> 0;
      for (let i = 0; i < width; i++, n >>>= 8) out[p++] = n & 0xff;
      return;
    }
    let masked = BigInt.asUintN(width * 8, signed ? BigInt.asIntN(width * 8, v) : v);
    for (let i = 0; i < width; i++, masked >>= 8n) out[p++] = Number(masked & 0xffn);
  };
  for (const op of ops) {
    out[p++] = op.code;
    const arg = OPCODES[op.code]?.arg ?? 'none';
    if (arg === 'f8') {
      out.set((op.data ?? new Uint8Array(8)).subarray(0, 8), p);
      p += 8;
    } else if (arg === 'len1' || arg === 'len4' || arg === 'len8') {
      const data = op.data ?? new Uint8Array(0);
      fixed(WIDTH[arg] as number, false, op.declared ?? BigInt(data.length));
      out.set(data, p);
      p += data.length;
    } else if (arg === 'line' || arg === 'line2') {
      p += out.write(lines(op), p, 'latin1');
    } else if (arg !== 'none') fixed(WIDTH[arg] as number, arg === 'i4', op.num ?? 0n);
  }
  return out;
}
