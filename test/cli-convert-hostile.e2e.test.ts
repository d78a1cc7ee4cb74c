// Issue 17, converter half: every hostile checkpoint the audit reproduced, made with real torch.save
// (or torch.save output with a hostile data.pkl spliced in), fed to the built CLI in a child process.
// Acceptance for each: exit 0 or 2 within 30 s, peak RSS <= 300 MB under --max-old-space-size=1024,
// output <= 4x the input, no temp file left; refusals are one line that names what is wrong.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSafetensors } from '@cliphub/safetensors';
import { cliBin, generatedFixtures, hasOracle, repoRoot, runPython, tempDir } from '#test-support';
import { RandomAccessFile } from '../packages/torch-reader/src/random-access-file.js';
import { readZipItems, writeZip } from '../packages/torch-reader/src/test-utils/zip-writer.js';

const demo = path.join(repoRoot, 'examples/tiny-clip');
const scripted = path.join(generatedFixtures, 'models/tiny-vit-quickgelu/torchscript.pt');

const MAKE_ATTACKS = String.raw`
import io, os, shutil, struct, sys, zipfile, torch
out, demo, scripted = sys.argv[1:4]
sd = torch.load(os.path.join(demo, "open_clip_pytorch_model.bin"), weights_only=True)

def place(name, config=True):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    if config:
        shutil.copy(os.path.join(demo, "open_clip_config.json"), d)
    return os.path.join(d, "model.bin")

def save(name, obj, config=True):
    torch.save(obj, place(name, config))

def splice(name, transform):
    """torch.save of the demo model, with its data.pkl rewritten by transform (entries stay STORED)."""
    f = place(name)
    torch.save(sd, f)
    src = zipfile.ZipFile(io.BytesIO(open(f, "rb").read()))
    with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as z:
        for item in src.infolist():
            data = src.read(item.filename)
            z.writestr(item.filename, transform(data) if item.filename.endswith("/data.pkl") else data)

# T1: stride-0 and overlapping views riding on a real model; a real weight replaced by an expand()
save("t1-stride0", {**sd, "extra": torch.zeros(1).expand(2**26)})
save("t1-stride0-2e40", {**sd, "extra": torch.zeros(1).expand(2**40)})
save("t1-overlap", {**sd, "extra": torch.zeros(2048).as_strided((1024, 1024), (1, 1))})
pe = sd["visual.positional_embedding"]
save("t1-replaced", {**sd, "visual.positional_embedding": torch.zeros(1).expand(*pe.shape)})
# T1: one-tensor files offered as ViT-B-32
save("t1-one-tensor", {"w": torch.zeros(3)}, config=False)
save("t1-one-expanded", {"w": torch.zeros(1).expand(2**26)}, config=False)
# T2: 200 tensors tied to one 1 MiB storage; and legitimately tied weights, which are copied
shared = torch.zeros(262144)
save("t2-tied-200", {**sd, **{f"tied.{i}": shared for i in range(200)}})
save("tied-twice", {**sd, "extra.tied": sd["text_projection"]})

def long4(n):
    return b"\x8b" + struct.pack("<i", n) + b"\x11" * (n - 1) + b"\x01" + b"0"  # LONG4, then POP

# T3: 128 LONG4 integers of 64 KiB (quadratic decoding took minutes); one of 1 MiB
splice("t3-long4-128x64k", lambda pkl: long4(65536) * 128 + pkl)
splice("t3-long4-1m", lambda pkl: long4(1 << 20) + pkl)

# T4: a memoised list of 1M Nones (APPENDS batches, as pickle writes them) copied 400 times with builtins.list
copies = bytearray(b"]q\x00")
for _ in range(1000):
    copies += b"(" + b"N" * 1000 + b"e"
copies += b"0]q\x01"
for _ in range(400):
    copies += b"c__builtin__\nlist\nh\x00\x85Ra"
splice("t4-list-copies", lambda pkl: bytes(copies) + b"0" + pkl)

# T5: a 20 MB protocol-0 STRING
splice("t5-string", lambda pkl: b"S'" + b"a" * 20_000_000 + b"'\n0" + pkl)

# T7: a 100k-deep list (built through the memo) used as a key of the state dict
IDX = struct.pack("<I", 0x7FFF0000)
deep = b"]r" + IDX + (b"]j" + IDX + b"ar" + IDX + b"0") * 100_000 + b"0"
splice("t7-deep-key", lambda pkl: deep + pkl[:-1] + b"j" + IDX + b"K\x01s.")

# T6: a TorchScript archive whose code/ holds class M(Module): and 2M blank lines (deflated to ~2 KB)
if os.path.exists(scripted):
    f = place("t6-code", config=False)
    src = zipfile.ZipFile(scripted)
    prefix = src.namelist()[0].split("/")[0]
    with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as z:
        for item in src.infolist():
            z.writestr(item, src.read(item.filename))
        z.writestr(prefix + "/code/__torch__/evil.py", b"class M(Module):\n" + b"\n" * 2_000_000,
                   compress_type=zipfile.ZIP_DEFLATED)

# For the signal tests: the demo model plus a tensor whose numel is a sentinel, patched to 4 GiB below
save("signal", {**sd, "zz.big": torch.zeros(1234567)})
`;

// Reports the child's peak RSS (getrusage ru_maxrss, what /usr/bin/time -f %M prints) as it exits.
const PRELOAD = `process.on('exit', () => require('node:fs').writeFileSync(process.env.CLIPHUB_RSS_FILE, String(process.resourceUsage().maxRSS)));\n`;

interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  stdout: string;
  seconds: number;
  rssMB: number;
  inputBytes: number;
  outputBytes: number;
  leftovers: string[];
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath, d.name));
}

describe.skipIf(!existsSync(cliBin) || !hasOracle)(
  'hostile checkpoints cost bounded time, memory and disk (issue 17)',
  () => {
    let tmp: ReturnType<typeof tempDir>;
    let attacks: string;
    let preload: string;
    const measured: string[] = [];
    let runs = 0;

    beforeAll(async () => {
      tmp = tempDir('cliphub-hostile-');
      attacks = path.join(tmp.dir, 'attacks');
      preload = path.join(tmp.dir, 'rss-preload.cjs');
      writeFileSync(preload, PRELOAD);
      runPython(MAKE_ATTACKS, [attacks, demo, scripted]);
      // The signal-test input: the sentinel tensor's storage becomes a 4 GiB hole (no disk used), and
      // its numel and size in data.pkl are patched to match, so the converter has gigabytes to copy.
      const file = path.join(attacks, 'signal/model.bin');
      const f = await RandomAccessFile.open(file);
      const items = await readZipItems(f);
      await f.close();
      const sentinel = Buffer.from([0x4a, ...new Uint8Array(new Uint32Array([1234567]).buffer)]);
      const big = Buffer.from([0x4a, 0, 0, 0, 0x40]); // BININT 2^30 floats = 4 GiB
      const patched = items.map((item) => {
        if (item.name.endsWith('/data.pkl')) {
          const pkl = Buffer.from(item.data as Uint8Array);
          const parts = pkl.toString('latin1').split(sentinel.toString('latin1'));
          expect(parts.length).toBe(3); // the storage's numel and the tensor's size
          return { name: item.name, data: Buffer.from(parts.join(big.toString('latin1')), 'latin1') };
        }
        if (item.data?.length === 4 * 1234567) return { name: item.name, sparse: 4 * 2 ** 30 };
        return item;
      });
      writeZip(file, patched);
    }, 300_000);

    afterAll(() => {
      if (measured.length)
        console.log(`hostile checkpoints (wall s, peak RSS MB, in -> out bytes):\n${measured.join('\n')}`);
      tmp?.cleanup();
    });

    function convert(name: string, extra: string[] = []): Run {
      const input = path.join(attacks, name, 'model.bin');
      const out = path.join(tmp.dir, `out-${runs++}`);
      const rssFile = path.join(tmp.dir, `rss-${runs}.txt`);
      const started = performance.now();
      const r = spawnSync(
        process.execPath,
        [
          '--max-old-space-size=1024',
          '--require',
          preload,
          cliBin,
          'convert',
          input,
          '--to',
          'safetensors',
          '--out',
          out,
          ...extra,
        ],
        {
          encoding: 'utf8',
          timeout: 30_000,
          killSignal: 'SIGKILL',
          env: { ...process.env, CLIPHUB_RSS_FILE: rssFile },
        },
      );
      const seconds = (performance.now() - started) / 1000;
      const files = filesUnder(out);
      const run: Run = {
        status: r.status,
        signal: r.signal,
        stderr: r.stderr,
        stdout: r.stdout,
        seconds,
        rssMB: existsSync(rssFile) ? Number(readFileSync(rssFile, 'utf8')) / 1024 : Number.NaN,
        inputBytes: statSync(input).size,
        outputBytes: files.reduce((a, f) => a + statSync(f).size, 0),
        leftovers: files.filter((f) => /\.tmp|staging/.test(path.basename(f))),
      };
      measured.push(
        `  ${`${name} ${extra.filter((a) => a !== '--json').join(' ')}`.padEnd(36)} exit ${String(r.status).padEnd(4)} ${seconds.toFixed(2)} s  ${run.rssMB.toFixed(0)} MB  ${run.inputBytes} -> ${run.outputBytes}`,
      );
      return run;
    }

    /** The acceptance bounds of issue 17, then the expected outcome. */
    function expectBounded(run: Run, status: 0 | 2, message?: RegExp): void {
      expect(run.signal, `killed: ${run.stderr}`).toBeNull();
      expect(run.status, run.stderr).toBe(status);
      expect(run.seconds).toBeLessThan(30);
      expect(run.rssMB).toBeLessThanOrEqual(300);
      expect(run.outputBytes).toBeLessThanOrEqual(4 * run.inputBytes);
      expect(run.leftovers).toEqual([]);
      if (status === 2) {
        expect(run.stderr.trim().split('\n')).toHaveLength(1);
        expect(run.stderr).not.toMatch(/internal error|RangeError|\n {4}at /);
        expect(run.outputBytes).toBe(0);
        if (message) expect(run.stderr).toMatch(message);
      }
    }

    it('T1: stride-0 and overlapping views are refused, naming the tensor, before anything is written', () => {
      expectBounded(convert('t1-stride0'), 2, /tensor extra \(size \[67108864\], stride \[0\]\).*more than once/);
      expectBounded(convert('t1-stride0-2e40'), 2, /tensor extra \(size \[1099511627776\], stride \[0\]\)/);
      expectBounded(convert('t1-overlap'), 2, /tensor extra \(size \[1024,1024\], stride \[1,1\]\)/);
      expectBounded(convert('t1-replaced'), 2, /tensor visual\.positional_embedding .*stride \[0,0\]/);
    });

    it('T1: the --model shape check is never skipped: a one-tensor file is not ViT-B-32 (nor a SigLIP)', () => {
      expectBounded(
        convert('t1-one-tensor', ['--model', 'ViT-B-32']),
        2,
        /weights do not match ViT-B-32: .*vision tower/,
      );
      expectBounded(
        convert('t1-one-tensor', ['--model', 'ViT-B-16-SigLIP']),
        2,
        /weights do not match ViT-B-16-SigLIP: its timm vision tower .* has no visual\.trunk/,
      );
      expectBounded(convert('t1-one-expanded', ['--model', 'ViT-B-32']), 2, /tensor w .*stride \[0\]/);
    });

    it('T2: 200 tensors tied to one 1 MiB storage are refused, naming them; a tied pair is copied, keys kept', async () => {
      expectBounded(convert('t2-tied-200'), 2, /200 tensors \(tied\.0, tied\.1, .*\) share storage .*more than 2×/);
      const ok = convert('tied-twice', ['--json']);
      expectBounded(ok, 0);
      const st = await openSafetensors(JSON.parse(ok.stdout).outputs.safetensors);
      try {
        expect(st.header.tensors.has('extra.tied')).toBe(true);
        expect(st.header.tensors.has('text_projection')).toBe(true);
      } finally {
        await st.close();
      }
    });

    it('T3: LONG4 integers decode in linear time (128 x 64 KiB converts), and 1 MiB is refused', () => {
      expectBounded(convert('t3-long4-128x64k'), 0);
      expectBounded(convert('t3-long4-1m'), 2, /1048576-byte integer/);
    });

    it('T4: 1M Nones copied 400 times with builtins.list are refused by the allocation budget', () => {
      expectBounded(convert('t4-list-copies'), 2, /allocate more than \d+ bytes/);
    });

    it('T5: a 20 MB protocol-0 STRING stays within the memory bound', () => {
      expectBounded(convert('t5-string'), 0);
    });

    it.skipIf(!existsSync(scripted))(
      'T6: TorchScript code of a class and 2M blank lines is scanned in linear time',
      () => {
        expectBounded(convert('t6-code'), 0);
      },
    );

    it('T7: a 100k-deep list as a state-dict key is dropped with a short description, no stack trace', () => {
      const run = convert('t7-deep-key', ['--json']);
      expectBounded(run, 0);
      expect(JSON.parse(run.stdout).dropped).toEqual(['<a list of 1 items>']);
    });

    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      it(`T1: ${signal} during a 4 GiB conversion removes the temp file and exits non-zero`, async () => {
        const out = path.join(tmp.dir, `signal-${signal}`);
        mkdirSync(out, { recursive: true });
        const child = spawn(
          process.execPath,
          [cliBin, 'convert', path.join(attacks, 'signal/model.bin'), '--to', 'safetensors', '--out', out],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
          child.on('exit', (code, sig) => resolve([code, sig])),
        );
        // Wait until the writer's temp file exists and has data, then interrupt the copy.
        const deadline = Date.now() + 25_000;
        let sawTemp = false;
        while (Date.now() < deadline && child.exitCode === null) {
          const tmpFile = readdirSync(out).find((f) => f.endsWith('.tmp'));
          if (tmpFile && statSync(path.join(out, tmpFile), { throwIfNoEntry: false })?.size) {
            sawTemp = true;
            break;
          }
          await new Promise((r) => setTimeout(r, 5));
        }
        child.kill(sawTemp ? signal : 'SIGKILL');
        const [code, sig] = await exited;
        expect(sawTemp, `no temp file appeared; stderr: ${stderr}`).toBe(true);
        expect(code === 0).toBe(false);
        expect(sig ?? code).toBeTruthy();
        expect(readdirSync(out)).toEqual([]);
      });
    }
  },
);
