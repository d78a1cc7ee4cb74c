import { createRequire } from 'node:module';
import { open } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import * as YAML from 'yaml';
import { LruCache } from './lru.js';

/** A model card's YAML front matter: its data, or why it is refused. */
export interface FrontMatter {
  data: Record<string, unknown> | null;
  error?: string;
}

export interface CardLimits {
  cardBytes: number;
  cardNodes: number;
  cardDepth: number;
  cardAliases: number;
  cardParseMs: number;
}

/** The YAML between a leading `---` line and the next `---`, or null when the card has none. */
export function extractFrontMatter(text: string): { yaml: string } | { none: true } | { error: string } {
  if (!text.startsWith('---')) return { none: true };
  const end = text.indexOf('\n---', 3);
  if (end < 0) return { error: 'YAML front matter starts with --- but never ends; close it with a --- line' };
  return { yaml: text.slice(3, end) };
}

/**
 * Parses front-matter YAML within limits; returns JSON text of `{data}` or `{error}`. It runs inside a
 * worker thread, so it is written self-contained (the worker gets its source text and the `yaml` module):
 * no imports, no outside names.
 *
 * Before the parser sees the text, one linear scan bounds flow nesting (`[[[[…` overflows the parser's
 * stack and can take the process down) and indentation (deep block nesting does the same). The parser then
 * runs with duplicate-key checking off (its check is quadratic: 40k keys took 14 s), and a walk over the
 * document counts nodes, depth and aliases and finds duplicate keys with a Set per mapping.
 */
export function parseCardYaml(
  text: string,
  limits: { nodes: number; depth: number; aliases: number },
  yaml: typeof YAML,
): string {
  const refuse = (why: string): string => JSON.stringify({ data: null, error: `YAML front matter ${why}` });
  const maxIndent = 8 * limits.depth;
  let flow = 0;
  let lineStart = true;
  let indent = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '\n') {
      lineStart = true;
      indent = 0;
      continue;
    }
    if (lineStart && ch === ' ') {
      if (++indent > maxIndent) return refuse(`is indented more than ${maxIndent} columns; flatten it`);
      continue;
    }
    lineStart = false;
    const prev = i > 0 ? (text[i - 1] as string) : '\n';
    const tokenStart = prev === ' ' || prev === '\t' || prev === '\n' || prev === '[' || prev === '{' || prev === ',';
    if (ch === '#' && tokenStart) {
      const nl = text.indexOf('\n', i);
      i = (nl < 0 ? text.length : nl) - 1;
    } else if ((ch === '"' || ch === "'") && (tokenStart || prev === ':')) {
      // a quoted scalar: skip to its closing quote ('' escapes in single quotes, backslash in double)
      let j = i + 1;
      for (; j < text.length; j++) {
        const c = text[j];
        if (ch === '"' && c === '\\') j++;
        else if (c === ch) {
          if (ch === "'" && text[j + 1] === "'") j++;
          else break;
        }
      }
      i = j;
    } else if ((ch === '[' || ch === '{') && (tokenStart || flow > 0)) {
      if (++flow > limits.depth) return refuse(`nests more than ${limits.depth} levels deep; flatten it`);
    } else if ((ch === ']' || ch === '}') && flow > 0) {
      flow--;
    }
  }
  const doc = yaml.parseDocument(text, { uniqueKeys: false, prettyErrors: false });
  if (doc.errors.length > 0) return refuse(`is invalid: ${String(doc.errors[0]?.message).split('\n')[0]}`);
  let nodes = 0;
  let aliases = 0;
  const stack: Array<{ node: unknown; depth: number }> = [{ node: doc.contents, depth: 1 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop() as { node: unknown; depth: number };
    if (node === null || node === undefined) continue;
    if (++nodes > limits.nodes) return refuse(`has more than ${limits.nodes} keys and values; shorten it`);
    if (depth > limits.depth) return refuse(`nests more than ${limits.depth} levels deep; flatten it`);
    if (yaml.isAlias(node)) {
      if (++aliases > limits.aliases) return refuse(`uses more than ${limits.aliases} aliases`);
    } else if (yaml.isMap(node)) {
      const keys = new Set<string>();
      for (const pair of node.items) {
        const key = yaml.isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        if (keys.has(key)) return refuse(`repeats the key '${key.slice(0, 80)}'; each key may appear once`);
        keys.add(key);
        stack.push({ node: pair.key, depth: depth + 1 }, { node: pair.value, depth: depth + 1 });
      }
    } else if (yaml.isSeq(node)) {
      for (const item of node.items) stack.push({ node: item, depth: depth + 1 });
    }
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: limits.aliases });
  } catch (e) {
    return refuse(`cannot be expanded: ${String((e as Error).message).split('\n')[0]}`);
  }
  if (data !== null && data !== undefined && (typeof data !== 'object' || Array.isArray(data)))
    return refuse('must be a mapping');
  return JSON.stringify({ data: data ?? {} });
}

/** The front matter of a model card, parsed in this thread (for tools and tests; the server uses CardParser). */
export function readFrontMatter(text: string, limits: CardLimits): FrontMatter {
  const block = extractFrontMatter(text);
  if ('none' in block) return { data: null };
  if ('error' in block) return { data: null, error: block.error };
  if (Buffer.byteLength(block.yaml) > limits.cardBytes) return tooBig(limits);
  return fromJson(parseCardYaml(block.yaml, toParseLimits(limits), YAML));
}

const toParseLimits = (l: CardLimits): { nodes: number; depth: number; aliases: number } => ({
  nodes: l.cardNodes,
  depth: l.cardDepth,
  aliases: l.cardAliases,
});
const tooBig = (l: CardLimits): FrontMatter => ({
  data: null,
  error: `YAML front matter is over the server limit of ${l.cardBytes} bytes; shorten the card's metadata`,
});
const fromJson = (json: string): FrontMatter => JSON.parse(json) as FrontMatter;

interface Task {
  text: string;
  resolve: (r: FrontMatter) => void;
}

/** Tasks waiting for the worker at most; beyond, cards are refused as busy (callers are rate-limited anyway). */
const MAX_QUEUE = 256;

/**
 * Parses front matter in a worker thread, one card at a time, each within `cardParseMs` (the worker is
 * replaced when one runs over) and a small heap, so no card can stall or exhaust the server's event loop.
 * Results are cached by the README's blob oid: a card is parsed once, whatever the number of requests.
 */
export class CardParser {
  private worker: Worker | null = null;
  private queue: Task[] = [];
  private busy: { task: Task; timer: NodeJS.Timeout; worker: Worker } | null = null;
  private cache = new LruCache<string, FrontMatter>(1024);
  private closed = false;

  constructor(private readonly limits: CardLimits) {}

  /** The front matter of a card's text (validate-yaml). */
  parse(text: string): Promise<FrontMatter> {
    const block = extractFrontMatter(text);
    if ('none' in block) return Promise.resolve({ data: null });
    if ('error' in block) return Promise.resolve({ data: null, error: block.error });
    if (Buffer.byteLength(block.yaml) > this.limits.cardBytes) return Promise.resolve(tooBig(this.limits));
    if (this.queue.length >= MAX_QUEUE)
      return Promise.resolve({
        data: null,
        error: 'YAML front matter could not be checked: the server is busy; retry',
      });
    return new Promise((resolve) => {
      this.queue.push({ text: block.yaml, resolve });
      this.pump();
    });
  }

  /** The front matter of a stored README (read only as far as the limit allows), cached by its blob oid. */
  async forFile(file: string, oid: string): Promise<FrontMatter> {
    const hit = this.cache.get(oid);
    if (hit) return hit;
    const fh = await open(file, 'r');
    let head: string;
    try {
      const buf = Buffer.alloc(this.limits.cardBytes + 16);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      head = buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await fh.close();
    }
    const block = extractFrontMatter(head);
    // a block that does not end within the bytes read is over the limit
    const result =
      'error' in block && head.length >= this.limits.cardBytes ? tooBig(this.limits) : await this.parse(head);
    if (!result.error?.includes('busy')) this.cache.set(oid, result);
    return result;
  }

  close(): void {
    this.closed = true;
    void this.worker?.terminate();
    this.worker = null;
    for (const t of this.queue.splice(0)) t.resolve({ data: null, error: 'server closing' });
  }

  private pump(): void {
    if (this.busy || this.closed) return;
    const task = this.queue.shift();
    if (!task) return;
    const worker = (this.worker ??= this.spawn());
    const timer = setTimeout(() => {
      this.finish(worker, {
        data: null,
        error: `YAML front matter took over ${this.limits.cardParseMs} ms to parse; simplify it`,
      });
      this.worker = null;
      void worker.terminate();
    }, this.limits.cardParseMs);
    this.busy = { task, timer, worker };
    worker.postMessage({ text: task.text, limits: toParseLimits(this.limits) });
  }

  private finish(worker: Worker, result: FrontMatter): void {
    if (!this.busy || this.busy.worker !== worker) return;
    clearTimeout(this.busy.timer);
    const { task } = this.busy;
    this.busy = null;
    task.resolve(result);
    this.pump();
  }

  private spawn(): Worker {
    const source = [
      "'use strict';",
      "const { parentPort, workerData } = require('node:worker_threads');",
      'const yaml = require(workerData.yamlPath);',
      `const parseCardYaml = ${parseCardYaml.toString()};`,
      'parentPort.on("message", (m) => {',
      '  let out;',
      '  try { out = parseCardYaml(m.text, m.limits, yaml); }',
      '  catch (e) { out = JSON.stringify({ data: null, error: "YAML front matter could not be parsed: " + String(e && e.message).split("\\n")[0] }); }',
      '  parentPort.postMessage(out);',
      '});',
    ].join('\n');
    const worker = new Worker(source, {
      eval: true,
      workerData: { yamlPath: createRequire(import.meta.url).resolve('yaml') },
      resourceLimits: { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
    });
    worker.unref();
    worker.on('message', (json: string) => this.finish(worker, fromJson(json)));
    const died = (why: string): void => {
      if (this.worker === worker) this.worker = null;
      this.finish(worker, { data: null, error: `YAML front matter could not be parsed (${why}); simplify it` });
    };
    worker.on('error', (e) => died(String(e.message).split('\n')[0] ?? 'error'));
    worker.on('exit', () => died('the parser stopped'));
    return worker;
  }
}
