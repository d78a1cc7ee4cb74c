import { buildValue, callGlobal, resolveGlobal, type CallContext } from './allowlist.js';
import { PickleTruncatedError, TorchReaderError } from './errors.js';
import type { PyValue } from './pyvalue.js';

export interface UnpickleOptions {
  /** Resolves persistent ids (torch storages); without it, a persistent id is an error. */
  persistentLoad?: (pid: PyValue) => PyValue;
  /** Allow `__torch__.*` classes (TorchScript module records). */
  torchscript?: boolean;
  /** Most memo entries (default 1,048,576). */
  maxMemo?: number;
  /** Most values on the stack plus MARK nesting (default 100,000). */
  maxStack?: number;
  /** Bytes the VM may allocate for strings, bytes and container slots (default 1 GiB). */
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

function tuple(items: PyValue[]): PyValue {
  return { kind: 'tuple', items };
}

function smallInt(b: bigint): number | bigint {
  return b <= BigInt(Number.MAX_SAFE_INTEGER) && b >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
}

/** Two's-complement little-endian integer (LONG1/LONG4). */
function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i] as number);
  if ((b[b.length - 1] as number) & 0x80) v -= 1n << BigInt(8 * b.length);
  return smallInt(v);
}

/** Python repr-style string body of protocol-0 STRING ('...' with backslash escapes). */
function unescapeRepr(s: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x5c) {
      out.push(c & 0xff);
      continue;
    }
    const n = s[++i];
    const simple: Record<string, number> = { n: 10, t: 9, r: 13, '\\': 92, "'": 39, '"': 34, a: 7, b: 8, f: 12, v: 11, '0': 0 };
    if (n === 'x') {
      out.push(parseInt(s.slice(i + 1, i + 3), 16) & 0xff);
      i += 2;
    } else if (n !== undefined && /[0-7]/.test(n) && /[0-7]/.test(s[i + 1] ?? '')) {
      const m = /^[0-7]{1,3}/.exec(s.slice(i)) as RegExpExecArray;
      out.push(parseInt(m[0], 8) & 0xff);
      i += m[0].length - 1;
    } else if (n !== undefined && n in simple) out.push(simple[n] as number);
    else out.push(92, (n ?? '').charCodeAt(0) & 0xff);
  }
  return Uint8Array.from(out);
}

/** raw-unicode-escape (protocol-0 UNICODE): latin-1 bytes with \uXXXX and \UXXXXXXXX escapes. */
function rawUnicode(b: Uint8Array): string {
  const s = String.fromCharCode(...b.subarray(0, Math.min(b.length, 1 << 16))) + (b.length > 1 << 16 ? Buffer.from(b.subarray(1 << 16)).toString('latin1') : '');
  return s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_m, u: string | undefined, U: string | undefined) =>
    String.fromCodePoint(Math.min(parseInt((u ?? U) as string, 16), 0x10ffff)));
}

/**
 * A pickle virtual machine (protocols 0-5) that builds plain data. Globals are resolved against the
 * weights-only allow-list and "called" by constructing data, so nothing in the pickle can execute.
 * Memo size, stack size and allocation are bounded so hostile input fails fast with a precise error.
 */
export function unpickleAt(bytes: Uint8Array, options: UnpickleOptions = {}): UnpickleResult {
  const label = options.label ?? 'pickle';
  const maxMemo = options.maxMemo ?? 1 << 20;
  const maxStack = options.maxStack ?? 100_000;
  const maxAlloc = options.maxAllocBytes ?? 1 << 30;
  const policy = { torchscript: options.torchscript === true };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = options.offset ?? 0;
  let opStart = pos;
  let allocated = 0;
  let stack: PyValue[] = [];
  const marks: PyValue[][] = [];
  const memo = new Map<number, PyValue>();

  const err = (code: 'E_PICKLE' | 'E_LIMIT' | 'E_TRUNCATED', what: string): never => {
    throw new TorchReaderError(code, `${label}: ${what} at byte ${opStart}; the file is corrupt or not a PyTorch checkpoint`);
  };
  const ctx: CallContext = {
    charge(n: number) {
      allocated += n;
      if (allocated > maxAlloc) {
        throw new TorchReaderError('E_LIMIT', `${label}: the pickle would allocate more than ${maxAlloc} bytes (at byte ${opStart}); refusing it as a decompression bomb`);
      }
    },
  };
  const need = (n: number): void => {
    if (n < 0 || pos + n > bytes.length) {
      throw new PickleTruncatedError(`${label}: the pickle declares ${n} bytes at byte ${pos} but only ${Math.max(0, bytes.length - pos)} remain; the file is truncated or corrupt`, n < 0 ? null : pos + n);
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
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new PickleTruncatedError(`${label}: a length of ${v} bytes at byte ${opStart}; the file is corrupt`, Number.MAX_SAFE_INTEGER);
    return Number(v);
  };
  const line = (): string => {
    const nl = bytes.indexOf(0x0a, pos);
    if (nl < 0) {
      throw new PickleTruncatedError(`${label}: a text opcode at byte ${opStart} has no terminating newline; the file is truncated or corrupt`, null);
    }
    const s = Buffer.from(bytes.buffer, bytes.byteOffset + pos, nl - pos).toString('latin1');
    pos = nl + 1;
    return s;
  };
  const text = (b: Uint8Array): string => (ctx.charge(b.length), utf8.decode(b));
  const push = (v: PyValue): void => {
    if (stack.length >= maxStack) err('E_LIMIT', `more than ${maxStack} values on the pickle stack`);
    allocated += 16;
    if (allocated > maxAlloc) ctx.charge(0);
    stack.push(v);
  };
  const pop = (): PyValue => {
    if (stack.length === 0) err('E_PICKLE', 'stack underflow');
    return stack.pop() as PyValue;
  };
  const top = (): PyValue => {
    if (stack.length === 0) err('E_PICKLE', 'stack underflow');
    return stack[stack.length - 1] as PyValue;
  };
  const popMark = (): PyValue[] => {
    const items = stack;
    const prev = marks.pop();
    if (prev === undefined) err('E_PICKLE', 'MARK expected');
    stack = prev as PyValue[];
    return items;
  };
  const put = (i: number): void => {
    if (!memo.has(i) && memo.size >= maxMemo) err('E_LIMIT', `more than ${maxMemo} memo entries (a memo bomb)`);
    memo.set(i, top());
  };
  const get = (i: number): void => {
    if (!memo.has(i)) err('E_PICKLE', `memo key ${i} is not defined`);
    push(memo.get(i) as PyValue);
  };
  const intFromText = (s: string): PyValue => {
    const t = s.trim().replace(/L$/, '');
    if (!/^[-+]?\d+$/.test(t)) err('E_PICKLE', `bad integer literal ${JSON.stringify(t.slice(0, 40))}`);
    if (t.length > MAX_INT_DIGITS) err('E_LIMIT', `an integer literal of ${t.length} digits`);
    return smallInt(BigInt(t));
  };
  const asList = (v: PyValue, op: string): PyValue[] => {
    if (!Array.isArray(v)) err('E_PICKLE', `${op} needs a list`);
    return v as PyValue[];
  };
  const asDict = (v: PyValue, op: string): Map<PyValue, PyValue> => {
    if (!(v instanceof Map)) err('E_PICKLE', `${op} needs a dict`);
    return v as Map<PyValue, PyValue>;
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
      case 0x80: { // PROTO
        const v = u8();
        if (v > 5) err('E_PICKLE', `unsupported pickle protocol ${v}`);
        break;
      }
      case 0x95: // FRAME: framing is only a read-ahead hint
        u64();
        break;
      case 0x2e: // STOP
        if (marks.length) err('E_PICKLE', 'STOP inside an open MARK');
        return { value: pop(), end: pos };
      case 0x28: // MARK
        if (marks.length >= maxStack) err('E_LIMIT', `MARKs nested deeper than ${maxStack} (a recursion bomb)`);
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
      case 0x4e: push(null); break; // NONE
      case 0x88: push(true); break; // NEWTRUE
      case 0x89: push(false); break; // NEWFALSE
      case 0x49: { // INT
        const s = line();
        push(s === '01' ? true : s === '00' ? false : intFromText(s));
        break;
      }
      case 0x4a: push(i32()); break; // BININT
      case 0x4b: push(u8()); break; // BININT1
      case 0x4d: push(u16()); break; // BININT2
      case 0x4c: push(intFromText(line())); break; // LONG
      case 0x8a: push(decodeLong(take(u8()))); break; // LONG1
      case 0x8b: { // LONG4
        const n = i32();
        if (n < 0) err('E_PICKLE', 'negative LONG4 length');
        if (n > 1 << 16) err('E_LIMIT', `a ${n}-byte integer`);
        push(decodeLong(take(n)));
        break;
      }
      case 0x46: { // FLOAT
        const s = line().trim();
        const v = Number(s);
        if (Number.isNaN(v) && !/^[-+]?nan$/i.test(s)) err('E_PICKLE', `bad float literal ${JSON.stringify(s.slice(0, 40))}`);
        push(v);
        break;
      }
      case 0x47: need(8); push(view.getFloat64(pos, false)); pos += 8; break; // BINFLOAT
      case 0x53: { // STRING
        const s = line().trim();
        const q = s[0];
        if (s.length < 2 || (q !== "'" && q !== '"') || s[s.length - 1] !== q) err('E_PICKLE', 'STRING argument is not quoted');
        push(text(unescapeRepr(s.slice(1, -1))));
        break;
      }
      case 0x54: { // BINSTRING
        const n = i32();
        if (n < 0) err('E_PICKLE', 'negative BINSTRING length');
        push(text(take(n)));
        break;
      }
      case 0x55: push(text(take(u8()))); break; // SHORT_BINSTRING
      case 0x56: push(rawUnicode(Buffer.from(line(), 'latin1'))); break; // UNICODE
      case 0x58: push(text(take(u32()))); break; // BINUNICODE
      case 0x8c: push(text(take(u8()))); break; // SHORT_BINUNICODE
      case 0x8d: push(text(take(u64()))); break; // BINUNICODE8
      case 0x42: { const n = u32(); need(n); ctx.charge(n); push(take(n).slice()); break; } // BINBYTES
      case 0x43: { const n = u8(); need(n); ctx.charge(n); push(take(n).slice()); break; } // SHORT_BINBYTES
      case 0x8e: { const n = u64(); need(n); ctx.charge(n); push(take(n).slice()); break; } // BINBYTES8
      case 0x96: { const n = u64(); need(n); ctx.charge(n); push(take(n).slice()); break; } // BYTEARRAY8
      case 0x97: err('E_PICKLE', 'NEXT_BUFFER (out-of-band buffers) is not supported'); break;
      case 0x98: break; // READONLY_BUFFER: a no-op for plain bytes
      case 0x29: push(tuple([])); break; // EMPTY_TUPLE
      case 0x74: push(tuple(popMark())); break; // TUPLE
      case 0x85: push(tuple([pop()])); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); push(tuple([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); push(tuple([a, b, c])); break; } // TUPLE3
      case 0x5d: push([]); break; // EMPTY_LIST
      case 0x6c: push(popMark()); break; // LIST
      case 0x61: { const v = pop(); asList(top(), 'APPEND').push(v); ctx.charge(16); break; } // APPEND
      case 0x65: { const items = popMark(); const l = asList(top(), 'APPENDS'); ctx.charge(16 * items.length); for (const v of items) l.push(v); break; } // APPENDS
      case 0x7d: push(new Map()); break; // EMPTY_DICT
      case 0x64: { // DICT
        const items = popMark();
        if (items.length % 2) err('E_PICKLE', 'DICT with an odd number of items');
        const d = new Map<PyValue, PyValue>();
        for (let i = 0; i < items.length; i += 2) d.set(items[i] as PyValue, items[i + 1] as PyValue);
        push(d);
        break;
      }
      case 0x73: { const v = pop(); const k = pop(); asDict(top(), 'SETITEM').set(k, v); ctx.charge(32); break; } // SETITEM
      case 0x75: { // SETITEMS
        const items = popMark();
        if (items.length % 2) err('E_PICKLE', 'SETITEMS with an odd number of items');
        const d = asDict(top(), 'SETITEMS');
        ctx.charge(16 * items.length);
        for (let i = 0; i < items.length; i += 2) d.set(items[i] as PyValue, items[i + 1] as PyValue);
        break;
      }
      case 0x8f: push({ kind: 'set', frozen: false, items: [] }); break; // EMPTY_SET
      case 0x90: { // ADDITEMS
        const items = popMark();
        const s = top();
        if (typeof s !== 'object' || s === null || Array.isArray(s) || s instanceof Map || s instanceof Uint8Array || s.kind !== 'set') return err('E_PICKLE', 'ADDITEMS needs a set');
        ctx.charge(16 * items.length);
        s.items.push(...items);
        break;
      }
      case 0x91: push({ kind: 'set', frozen: true, items: popMark() }); break; // FROZENSET
      case 0x67: get(Number(intFromText(line()))); break; // GET
      case 0x68: get(u8()); break; // BINGET
      case 0x6a: get(u32()); break; // LONG_BINGET
      case 0x70: put(Number(intFromText(line()))); break; // PUT
      case 0x71: put(u8()); break; // BINPUT
      case 0x72: put(u32()); break; // LONG_BINPUT
      case 0x94: put(memo.size); break; // MEMOIZE
      case 0x63: { // GLOBAL
        const module = line();
        const name = line();
        push(resolveGlobal(module, name, 'GLOBAL', policy));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') err('E_PICKLE', 'STACK_GLOBAL needs two strings');
        push(resolveGlobal(module as string, name as string, 'STACK_GLOBAL', policy));
        break;
      }
      case 0x69: { // INST
        const module = line();
        const name = line();
        const g = resolveGlobal(module, name, 'INST', policy);
        push(call(g, popMark(), 'INST'));
        break;
      }
      case 0x6f: { // OBJ
        const items = popMark();
        if (items.length === 0) err('E_PICKLE', 'OBJ without a class');
        push(call(items[0] as PyValue, items.slice(1), 'OBJ'));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        const fn = pop();
        if (typeof args !== 'object' || args === null || Array.isArray(args) || args instanceof Map || args instanceof Uint8Array || args.kind !== 'tuple') {
          return err('E_PICKLE', 'REDUCE arguments are not a tuple');
        }
        push(call(fn, args.items, 'REDUCE'));
        break;
      }
      case 0x81: { // NEWOBJ
        const args = pop();
        const cls = pop();
        if (typeof args !== 'object' || args === null || Array.isArray(args) || args instanceof Map || args instanceof Uint8Array || args.kind !== 'tuple') {
          return err('E_PICKLE', 'NEWOBJ arguments are not a tuple');
        }
        push(call(cls, args.items, 'NEWOBJ'));
        break;
      }
      case 0x92: { // NEWOBJ_EX
        pop(); // kwargs: no allowed class takes keyword arguments that matter for weights
        const args = pop();
        const cls = pop();
        if (typeof args !== 'object' || args === null || Array.isArray(args) || args instanceof Map || args instanceof Uint8Array || args.kind !== 'tuple') {
          return err('E_PICKLE', 'NEWOBJ_EX arguments are not a tuple');
        }
        push(call(cls, args.items, 'NEWOBJ_EX'));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        stack[stack.length - 1] = buildValue(top(), state);
        break;
      }
      case 0x50: { // PERSID
        if (!options.persistentLoad) err('E_PICKLE', 'a persistent id outside a checkpoint');
        push(options.persistentLoad!(line()));
        break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        if (!options.persistentLoad) err('E_PICKLE', 'a persistent id outside a checkpoint');
        push(options.persistentLoad!(pid));
        break;
      }
      case 0x82:
      case 0x83:
      case 0x84:
        throw new TorchReaderError('E_UNSAFE', `${label}: refused the copyreg extension registry (pickle opcode EXT${op === 0x82 ? 1 : op === 0x83 ? 2 : 4}) at byte ${opStart}: it names arbitrary globals; re-save the file with torch.save(model.state_dict())`);
      default:
        err('E_PICKLE', `unknown pickle opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }
  }
}

/** Unpickles one value from `bytes` (see `unpickleAt`). */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions = {}): PyValue {
  return unpickleAt(bytes, options).value;
}
