import { MAP, MAP_ENTRY, OBJECT, SLOT } from './alloc-costs.js';
import { buildValue, callGlobal, resolveGlobal, type CallContext } from './allowlist.js';
import { PickleTruncatedError, TorchReaderError } from './errors.js';
import { hasKind, type PyValue } from './pyvalue.js';

export interface UnpickleOptions {
  /** Resolves persistent ids (torch storages); without it, a persistent id is an error. */
  persistentLoad?: (pid: PyValue) => PyValue;
  /** Allow `__torch__.*` classes (TorchScript module records). */
  torchscript?: boolean;
  /** Most memo entries (default 1,048,576). */
  maxMemo?: number;
  /** Most values on the stack, all MARK frames together, plus MARK nesting (default 100,000). */
  maxStack?: number;
  /**
   * Bytes the VM may allocate in all (default 128 MiB): strings, bytes, integers, every container it
   * builds or copies (list(), tuple(), dict copies, tensor sizes) and their slots, and memo entries.
   * Counted as allocated, never given back, so the cost of a pickle is bounded however it is built.
   */
  maxAllocBytes?: number;
  /** Where to start in `bytes` (default 0). */
  offset?: number;
  /** What the error calls this pickle ("data.pkl"). */
  label?: string;
}

export interface UnpickleResult {
  value: PyValue;
  /** Offset just after STOP. */
  end: number;
}

const MAX_INT_DIGITS = 4300; // Python's default int<->str conversion limit

const utf8 = new TextDecoder('utf-8');

function smallInt(b: bigint): number | bigint {
  return b <= BigInt(Number.MAX_SAFE_INTEGER) && b >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
}

/** Longest LONG1/LONG4 integer, in bytes: far above anything a checkpoint holds. */
const MAX_LONG_BYTES = 1 << 16;

/**
 * Two's-complement little-endian integer (LONG1/LONG4), decoded in linear time: shifting a BigInt
 * one byte at a time is quadratic (64 KiB took half a second), parsing its hex form is not.
 */
function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  const hex = Buffer.from(b).reverse().toString('hex');
  return smallInt(BigInt.asIntN(8 * b.length, BigInt(`0x${hex}`)));
}

const SIMPLE_ESCAPES: Record<number, number> = {
  0x6e: 10, // n
  0x74: 9, // t
  0x72: 13, // r
  0x5c: 92, // backslash
  0x27: 39, // '
  0x22: 34, // "
  0x61: 7, // a
  0x62: 8, // b
  0x66: 12, // f
  0x76: 11, // v
};

const isOctal = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x37;
const hexValue = (c: number | undefined): number => {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
};

/**
 * The body of a protocol-0 STRING (Python repr: '...' with backslash escapes), unescaped byte by byte
 * into one buffer no longer than the input: no per-character arrays or strings. Null where Python's
 * escape_decode fails (a bad \x escape, a trailing backslash).
 */
function unescapeRepr(src: Uint8Array): Uint8Array | null {
  const out = new Uint8Array(src.length);
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as number;
    if (c !== 0x5c) {
      out[n++] = c;
      continue;
    }
    const e = src[++i];
    if (e === undefined) return null;
    if (e === 0x78) {
      if (hexValue(src[i + 1]) < 0 || hexValue(src[i + 2]) < 0) return null;
      out[n++] = hexValue(src[i + 1]) * 16 + hexValue(src[i + 2]);
      i += 2;
    } else if (isOctal(e)) {
      let v = 0;
      let k = 0;
      while (k < 3 && isOctal(src[i + k])) v = v * 8 + ((src[i + k++] as number) - 0x30);
      out[n++] = v & 0xff;
      i += k - 1;
    } else if (e in SIMPLE_ESCAPES) out[n++] = SIMPLE_ESCAPES[e] as number;
    else {
      out[n++] = 0x5c;
      out[n++] = e;
    }
  }
  return out.subarray(0, n);
}

/**
 * raw-unicode-escape (protocol-0 UNICODE): latin-1 bytes with \uXXXX and \UXXXXXXXX escapes. `charge`
 * pays for the second string that replacing escapes builds.
 */
function rawUnicode(b: Uint8Array, charge: (n: number) => void): string {
  const s = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
  if (!s.includes('\\')) return s;
  charge(2 * s.length);
  return s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_m, u: string | undefined, U: string | undefined) =>
    String.fromCodePoint(Math.min(parseInt((u ?? U) as string, 16), 0x10ffff)),
  );
}

/**
 * A pickle virtual machine (protocols 0-5) that builds plain data. Globals are resolved against the
 * weights-only allow-list and "called" by constructing data, so nothing in the pickle can execute.
 * Memo size, stack size and allocation are bounded so hostile input fails fast with a precise error;
 * every opcode costs time in proportion to what it charges, and the VM never recurses.
 */
export function unpickleAt(bytes: Uint8Array, options: UnpickleOptions = {}): UnpickleResult {
  const label = options.label ?? 'pickle';
  const maxMemo = options.maxMemo ?? 1 << 20;
  const maxStack = options.maxStack ?? 100_000;
  const maxAlloc = options.maxAllocBytes ?? 128 * 1024 * 1024;
  const policy = { torchscript: options.torchscript === true };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = options.offset ?? 0;
  let opStart = pos;
  let allocated = 0;
  let stack: PyValue[] = [];
  const marks: PyValue[][] = [];
  /** Values held by the MARK frames below the current one. */
  let below = 0;
  const memo = new Map<number, PyValue>();

  const err = (code: 'BAD_PICKLE' | 'LIMIT_EXCEEDED' | 'TRUNCATED', what: string): never => {
    throw new TorchReaderError(
      code,
      `${label}: ${what} at byte ${opStart}; the file is corrupt or not a PyTorch checkpoint`,
    );
  };
  const ctx: CallContext = {
    charge(n: number) {
      allocated += n;
      if (allocated > maxAlloc) {
        throw new TorchReaderError(
          'LIMIT_EXCEEDED',
          `${label}: the pickle would allocate more than ${maxAlloc} bytes (at byte ${opStart}); refusing it as a decompression bomb`,
        );
      }
    },
  };
  const charge = ctx.charge;
  const need = (n: number): void => {
    if (n < 0 || pos + n > bytes.length) {
      throw new PickleTruncatedError(
        `${label}: the pickle declares ${n} bytes at byte ${pos} but only ${Math.max(0, bytes.length - pos)} remain; the file is truncated or corrupt`,
        n < 0 ? null : pos + n,
      );
    }
  };
  const take = (n: number): Uint8Array => {
    need(n);
    const b = bytes.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  const u8 = (): number => (need(1), bytes[pos++] as number);
  const u16 = (): number => (need(2), (pos += 2), view.getUint16(pos - 2, true));
  const u32 = (): number => (need(4), (pos += 4), view.getUint32(pos - 4, true));
  const i32 = (): number => (need(4), (pos += 4), view.getInt32(pos - 4, true));
  const u64 = (): number => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER))
      throw new PickleTruncatedError(
        `${label}: a length of ${v} bytes at byte ${opStart}; the file is corrupt`,
        Number.MAX_SAFE_INTEGER,
      );
    return Number(v);
  };
  /** The bytes of a text opcode's argument, up to (not including) its newline. */
  const lineBytes = (): Uint8Array => {
    const nl = bytes.indexOf(0x0a, pos);
    if (nl < 0) {
      throw new PickleTruncatedError(
        `${label}: a text opcode at byte ${opStart} has no terminating newline; the file is truncated or corrupt`,
        null,
      );
    }
    const b = bytes.subarray(pos, nl);
    pos = nl + 1;
    return b;
  };
  const line = (): string => {
    const b = lineBytes();
    charge(b.length + SLOT);
    return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
  };
  // A JS string takes two bytes per character once any character is above U+00FF: charge for that.
  const text = (b: Uint8Array): string => (charge(2 * b.length + SLOT), utf8.decode(b));
  const ownBytes = (b: Uint8Array): Uint8Array => (charge(b.length + OBJECT), b.slice());
  const push = (v: PyValue): void => {
    if (below + stack.length + marks.length >= maxStack)
      err('LIMIT_EXCEEDED', `more than ${maxStack} values on the pickle stack`);
    stack.push(v);
  };
  const pop = (): PyValue => {
    if (stack.length === 0) err('BAD_PICKLE', 'stack underflow');
    return stack.pop() as PyValue;
  };
  const top = (): PyValue => {
    if (stack.length === 0) err('BAD_PICKLE', 'stack underflow');
    return stack[stack.length - 1] as PyValue;
  };
  const popMark = (): PyValue[] => {
    const items = stack;
    const prev = marks.pop();
    if (prev === undefined) err('BAD_PICKLE', 'MARK expected');
    stack = prev as PyValue[];
    below -= stack.length;
    return items;
  };
  const put = (i: number): void => {
    if (!memo.has(i)) {
      if (memo.size >= maxMemo) err('LIMIT_EXCEEDED', `more than ${maxMemo} memo entries (a memo bomb)`);
      charge(MAP_ENTRY);
    }
    memo.set(i, top());
  };
  const get = (i: number): void => {
    if (!memo.has(i)) err('BAD_PICKLE', `memo key ${i} is not defined`);
    push(memo.get(i) as PyValue);
  };
  const intFromText = (s: string): PyValue => {
    const t = s.trim().replace(/L$/, '');
    if (!/^[-+]?\d+$/.test(t)) err('BAD_PICKLE', `bad integer literal ${JSON.stringify(t.slice(0, 40))}`);
    if (t.length > MAX_INT_DIGITS) err('LIMIT_EXCEEDED', `an integer literal of ${t.length} digits`);
    return smallInt(BigInt(t));
  };
  const long = (n: number): PyValue => {
    if (n > MAX_LONG_BYTES) err('LIMIT_EXCEEDED', `a ${n}-byte integer`);
    const b = take(n);
    charge(2 * n + OBJECT);
    return decodeLong(b);
  };
  const asList = (v: PyValue, op: string): PyValue[] => {
    if (!Array.isArray(v)) err('BAD_PICKLE', `${op} needs a list`);
    return v as PyValue[];
  };
  const asDict = (v: PyValue, op: string): Map<PyValue, PyValue> => {
    if (!(v instanceof Map)) err('BAD_PICKLE', `${op} needs a dict`);
    return v as Map<PyValue, PyValue>;
  };
  const asArgs = (v: PyValue, op: string): PyValue[] => {
    if (!hasKind(v, 'tuple')) {
      return err('BAD_PICKLE', `${op} arguments are not a tuple`);
    }
    return v.items;
  };
  const tuple = (items: PyValue[]): PyValue => {
    charge(OBJECT + SLOT * items.length);
    return { kind: 'tuple', items };
  };
  const call = (fn: PyValue, args: PyValue[], op: string): PyValue => callGlobal(fn, args, op, ctx);

  try {
    return run();
  } catch (e) {
    // Errors raised by the allow-list lack the pickle's name and position; add them once.
    if (e instanceof TorchReaderError && !(e instanceof PickleTruncatedError) && !e.message.startsWith(`${label}:`)) {
      throw new TorchReaderError(e.code, `${label}: ${e.message} (at byte ${opStart})`);
    }
    throw e;
  }

  function run(): UnpickleResult {
    for (;;) {
      opStart = pos;
      const op = u8();
      switch (op) {
        case 0x80: {
          // PROTO
          const v = u8();
          if (v > 5) err('BAD_PICKLE', `unsupported pickle protocol ${v}`);
          break;
        }
        case 0x95: // FRAME: framing is only a read-ahead hint
          u64();
          break;
        case 0x2e: // STOP
          if (marks.length) err('BAD_PICKLE', 'STOP inside an open MARK');
          return { value: pop(), end: pos };
        case 0x28: // MARK
          if (below + stack.length + marks.length >= maxStack)
            err('LIMIT_EXCEEDED', `MARKs and values nested deeper than ${maxStack} (a recursion bomb)`);
          charge(OBJECT);
          below += stack.length;
          marks.push(stack);
          stack = [];
          break;
        case 0x30: // POP
          if (stack.length) stack.pop();
          else popMark();
          break;
        case 0x31: // POP_MARK
          popMark();
          break;
        case 0x32: // DUP
          push(top());
          break;
        case 0x4e: // NONE
          push(null);
          break;
        case 0x88: // NEWTRUE
          push(true);
          break;
        case 0x89: // NEWFALSE
          push(false);
          break;
        case 0x49: {
          // INT
          const s = line();
          push(s === '01' ? true : s === '00' ? false : intFromText(s));
          break;
        }
        case 0x4a: // BININT
          push(i32());
          break;
        case 0x4b: // BININT1
          push(u8());
          break;
        case 0x4d: // BININT2
          push(u16());
          break;
        case 0x4c: // LONG
          push(intFromText(line()));
          break;
        case 0x8a: // LONG1
          push(long(u8()));
          break;
        case 0x8b: {
          // LONG4
          const n = i32();
          if (n < 0) err('BAD_PICKLE', 'negative LONG4 length');
          push(long(n));
          break;
        }
        case 0x46: {
          // FLOAT
          const s = line().trim();
          const v = Number(s);
          if (Number.isNaN(v) && !/^[-+]?nan$/i.test(s))
            err('BAD_PICKLE', `bad float literal ${JSON.stringify(s.slice(0, 40))}`);
          charge(SLOT);
          push(v);
          break;
        }
        case 0x47: // BINFLOAT
          need(8);
          charge(SLOT);
          push(view.getFloat64(pos, false));
          pos += 8;
          break;
        case 0x53: {
          // STRING: a quoted Python repr, unescaped from the pickle's bytes without intermediate strings
          let b = lineBytes();
          let lo = 0;
          let hi = b.length;
          while (lo < hi && ((b[lo] as number) === 0x20 || (b[lo] as number) === 0x0d || (b[lo] as number) === 0x09))
            lo++;
          while (
            hi > lo &&
            ((b[hi - 1] as number) === 0x20 || (b[hi - 1] as number) === 0x0d || (b[hi - 1] as number) === 0x09)
          )
            hi--;
          b = b.subarray(lo, hi);
          const q = b[0];
          if (b.length < 2 || (q !== 0x27 && q !== 0x22) || b[b.length - 1] !== q)
            err('BAD_PICKLE', 'STRING argument is not quoted');
          charge(b.length + OBJECT);
          const raw = unescapeRepr(b.subarray(1, -1));
          if (raw === null) err('BAD_PICKLE', 'STRING argument has a bad escape');
          push(text(raw as Uint8Array));
          break;
        }
        case 0x54: {
          // BINSTRING
          const n = i32();
          if (n < 0) err('BAD_PICKLE', 'negative BINSTRING length');
          push(text(take(n)));
          break;
        }
        case 0x55: // SHORT_BINSTRING
          push(text(take(u8())));
          break;
        case 0x56: {
          // UNICODE
          const b = lineBytes();
          charge(2 * b.length + SLOT);
          push(rawUnicode(b, charge));
          break;
        }
        case 0x58: // BINUNICODE
          push(text(take(u32())));
          break;
        case 0x8c: // SHORT_BINUNICODE
          push(text(take(u8())));
          break;
        case 0x8d: // BINUNICODE8
          push(text(take(u64())));
          break;
        case 0x42: // BINBYTES
          push(ownBytes(take(u32())));
          break;
        case 0x43: // SHORT_BINBYTES
          push(ownBytes(take(u8())));
          break;
        case 0x8e: // BINBYTES8
          push(ownBytes(take(u64())));
          break;
        case 0x96: // BYTEARRAY8
          push(ownBytes(take(u64())));
          break;
        case 0x97:
          err('BAD_PICKLE', 'NEXT_BUFFER (out-of-band buffers) is not supported');
          break;
        case 0x98:
          break; // READONLY_BUFFER: a no-op for plain bytes
        case 0x29: // EMPTY_TUPLE
          push(tuple([]));
          break;
        case 0x74: // TUPLE
          push(tuple(popMark()));
          break;
        case 0x85: // TUPLE1
          push(tuple([pop()]));
          break;
        case 0x86: {
          // TUPLE2
          const b = pop();
          const a = pop();
          push(tuple([a, b]));
          break;
        }
        case 0x87: {
          // TUPLE3
          const c = pop();
          const b = pop();
          const a = pop();
          push(tuple([a, b, c]));
          break;
        }
        case 0x5d: // EMPTY_LIST
          charge(OBJECT);
          push([]);
          break;
        case 0x6c: {
          // LIST
          const items = popMark();
          charge(OBJECT + SLOT * items.length);
          push(items);
          break;
        }
        case 0x61: {
          // APPEND
          const v = pop();
          const l = asList(top(), 'APPEND');
          charge(SLOT);
          l.push(v);
          break;
        }
        case 0x65: {
          // APPENDS
          const items = popMark();
          const l = asList(top(), 'APPENDS');
          charge(SLOT * items.length);
          for (const v of items) l.push(v);
          break;
        }
        case 0x7d: // EMPTY_DICT
          charge(MAP);
          push(new Map());
          break;
        case 0x64: {
          // DICT
          const items = popMark();
          if (items.length % 2) err('BAD_PICKLE', 'DICT with an odd number of items');
          charge(MAP + (MAP_ENTRY * items.length) / 2);
          const d = new Map<PyValue, PyValue>();
          for (let i = 0; i < items.length; i += 2) d.set(items[i] as PyValue, items[i + 1] as PyValue);
          push(d);
          break;
        }
        case 0x73: {
          // SETITEM
          const v = pop();
          const k = pop();
          const d = asDict(top(), 'SETITEM');
          charge(MAP_ENTRY);
          d.set(k, v);
          break;
        }
        case 0x75: {
          // SETITEMS
          const items = popMark();
          if (items.length % 2) err('BAD_PICKLE', 'SETITEMS with an odd number of items');
          const d = asDict(top(), 'SETITEMS');
          charge((MAP_ENTRY * items.length) / 2);
          for (let i = 0; i < items.length; i += 2) d.set(items[i] as PyValue, items[i + 1] as PyValue);
          break;
        }
        case 0x8f: // EMPTY_SET
          charge(OBJECT);
          push({ kind: 'set', frozen: false, items: [] });
          break;
        case 0x90: {
          // ADDITEMS
          const items = popMark();
          const s = top();
          if (!hasKind(s, 'set')) return err('BAD_PICKLE', 'ADDITEMS needs a set');
          charge(SLOT * items.length);
          for (const v of items) s.items.push(v);
          break;
        }
        case 0x91: {
          // FROZENSET
          const items = popMark();
          charge(OBJECT + SLOT * items.length);
          push({ kind: 'set', frozen: true, items });
          break;
        }
        case 0x67: // GET
          get(Number(intFromText(line())));
          break;
        case 0x68: // BINGET
          get(u8());
          break;
        case 0x6a: // LONG_BINGET
          get(u32());
          break;
        case 0x70: // PUT
          put(Number(intFromText(line())));
          break;
        case 0x71: // BINPUT
          put(u8());
          break;
        case 0x72: // LONG_BINPUT
          put(u32());
          break;
        case 0x94: // MEMOIZE
          put(memo.size);
          break;
        case 0x63: {
          // GLOBAL
          const module = line();
          const name = line();
          charge(OBJECT);
          push(resolveGlobal(module, name, 'GLOBAL', policy));
          break;
        }
        case 0x93: {
          // STACK_GLOBAL
          const name = pop();
          const module = pop();
          if (typeof module !== 'string' || typeof name !== 'string')
            err('BAD_PICKLE', 'STACK_GLOBAL needs two strings');
          charge(OBJECT);
          push(resolveGlobal(module as string, name as string, 'STACK_GLOBAL', policy));
          break;
        }
        case 0x69: {
          // INST
          const module = line();
          const name = line();
          const g = resolveGlobal(module, name, 'INST', policy);
          push(call(g, popMark(), 'INST'));
          break;
        }
        case 0x6f: {
          // OBJ
          const items = popMark();
          if (items.length === 0) err('BAD_PICKLE', 'OBJ without a class');
          charge(SLOT * items.length);
          push(call(items[0] as PyValue, items.slice(1), 'OBJ'));
          break;
        }
        case 0x52: {
          // REDUCE
          const args = asArgs(pop(), 'REDUCE');
          const fn = pop();
          push(call(fn, args, 'REDUCE'));
          break;
        }
        case 0x81: {
          // NEWOBJ
          const args = asArgs(pop(), 'NEWOBJ');
          const cls = pop();
          push(call(cls, args, 'NEWOBJ'));
          break;
        }
        case 0x92: {
          // NEWOBJ_EX
          pop(); // kwargs: no allowed class takes keyword arguments that matter for weights
          const args = asArgs(pop(), 'NEWOBJ_EX');
          const cls = pop();
          push(call(cls, args, 'NEWOBJ_EX'));
          break;
        }
        case 0x62: {
          // BUILD
          const state = pop();
          stack[stack.length - 1] = buildValue(top(), state);
          break;
        }
        case 0x50: {
          // PERSID
          if (!options.persistentLoad) err('BAD_PICKLE', 'a persistent id outside a checkpoint');
          const pid = line();
          charge(OBJECT);
          push(options.persistentLoad!(pid));
          break;
        }
        case 0x51: {
          // BINPERSID
          const pid = pop();
          if (!options.persistentLoad) err('BAD_PICKLE', 'a persistent id outside a checkpoint');
          charge(OBJECT);
          push(options.persistentLoad!(pid));
          break;
        }
        case 0x82:
        case 0x83:
        case 0x84:
          throw new TorchReaderError(
            'UNSAFE_GLOBAL',
            `${label}: refused the copyreg extension registry (pickle opcode EXT${op === 0x82 ? 1 : op === 0x83 ? 2 : 4}) at byte ${opStart}: it names arbitrary globals; re-save the file with torch.save(model.state_dict())`,
          );
        default:
          err('BAD_PICKLE', `unknown pickle opcode 0x${op.toString(16).padStart(2, '0')}`);
      }
    }
  }
}

/** Unpickles one value from `bytes` (see `unpickleAt`). */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions = {}): PyValue {
  return unpickleAt(bytes, options).value;
}
