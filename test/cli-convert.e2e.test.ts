import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBin, repoRoot, runPython, hasOracle, tempDir } from '#test-support';

const demo = path.join(repoRoot, 'examples/tiny-clip');

function cli(
  args: string[],
  env: Record<string, string> = {},
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cliBin, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!existsSync(cliBin))('cliphub convert (built CLI)', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(() => {
    tmp = tempDir();
  });
  afterAll(() => tmp.cleanup());

  it('--help documents the command and exits 0', () => {
    const r = cli(['convert', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: cliphub convert');
    expect(r.stdout).toContain('--activation');
  });

  it('converts the bundled demo model with --json and --verify', () => {
    const out = path.join(tmp.dir, 'demo');
    const r = cli(['convert', demo, '--out', out, '--verify', '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({
      format: 'zip',
      verified: true,
      config: { source: 'config-file' },
      activation: { value: 'quickgelu' },
    });
    expect(readdirSync(out).sort()).toEqual(['open_clip_config.json', 'open_clip_model.safetensors']);
    const cfg = JSON.parse(readFileSync(path.join(out, 'open_clip_config.json'), 'utf8'));
    expect(Object.keys(cfg.preprocess_cfg).sort()).toEqual(['interpolation', 'mean', 'resize_mode', 'std']);
    expect(cfg.model_cfg.quick_gelu).toBe(true);
  });

  it('takes an hf-hub: spec from the local Hugging Face cache, and says how to fetch one that is missing', () => {
    const cache = path.join(tmp.dir, 'hf-cache');
    const sha = 'a'.repeat(40);
    const snap = path.join(cache, 'models--demo--tiny', 'snapshots', sha);
    mkdirSync(snap, { recursive: true });
    mkdirSync(path.join(cache, 'models--demo--tiny', 'refs'), { recursive: true });
    writeFileSync(path.join(cache, 'models--demo--tiny', 'refs', 'main'), sha);
    for (const f of ['open_clip_pytorch_model.bin', 'open_clip_config.json'])
      copyFileSync(path.join(demo, f), path.join(snap, f));
    const out = path.join(tmp.dir, 'from-hub');
    const r = cli(['convert', 'hf-hub:demo/tiny', '--out', out, '--json'], { HF_HUB_CACHE: cache });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ format: 'zip', config: { source: 'config-file' } });
    const missing = cli(['convert', 'hf-hub:demo/absent', '--out', path.join(tmp.dir, 'absent')], {
      HF_HUB_CACHE: cache,
    });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/not in the local Hugging Face cache.*cliphub pull hf-hub:demo\/absent/);
  });

  it('refuses an activation that contradicts the config unless --force', () => {
    const r = cli(['convert', demo, '--out', path.join(tmp.dir, 'act'), '--activation', 'gelu']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/contradicts .*--force/);
    expect(existsSync(path.join(tmp.dir, 'act', 'open_clip_model.safetensors'))).toBe(false);
    const forced = cli([
      'convert',
      demo,
      '--out',
      path.join(tmp.dir, 'act'),
      '--activation',
      'gelu',
      '--force',
      '--json',
    ]);
    expect(forced.status).toBe(0);
    expect(JSON.parse(forced.stdout).activation).toMatchObject({ value: 'gelu', source: '--activation (forced)' });
  });

  it('says plainly that the activation is a guess when nothing names it', () => {
    const dir = path.join(tmp.dir, 'bare');
    mkdirSync(dir, { recursive: true });
    copyFileSync(path.join(demo, 'open_clip_pytorch_model.bin'), path.join(dir, 'weights.bin'));
    const r = cli(['convert', path.join(dir, 'weights.bin'), '--out', path.join(tmp.dir, 'bare-out')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/activation = GELU is a GUESS/);
  });

  it('exits 2 on unknown flags, bad dtype, missing --out', () => {
    expect(cli(['convert', demo, '--out', tmp.dir, '--bogus']).status).toBe(2);
    expect(cli(['convert', demo, '--out', tmp.dir, '--dtype', 'fp8']).stderr).toMatch(/--dtype .*must be one of/);
    expect(cli(['convert', demo]).stderr).toMatch(/--out DIR is required/);
    expect(cli(['convert', path.join(tmp.dir, 'nope.bin'), '--out', tmp.dir]).status).toBe(2);
  });

  describe('bad checkpoints: one-line error, exit 2, no output file', () => {
    const src = readFileSync(path.join(demo, 'open_clip_pytorch_model.bin'));
    const bad = (name: string, bytes: Uint8Array): string => {
      const dir = path.join(tmp.dir, `bad-${name}`);
      mkdirSync(dir, { recursive: true });
      const f = path.join(dir, `${name}.bin`);
      writeFileSync(f, bytes);
      return f;
    };
    const expectRefused = (file: string, pattern: RegExp): void => {
      const out = path.join(path.dirname(file), 'out');
      const r = cli(['convert', file, '--out', out, '--activation', 'gelu']);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(pattern);
      expect(existsSync(path.join(out, 'open_clip_model.safetensors'))).toBe(false);
      expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
    };

    it('a truncated zip', () =>
      expectRefused(
        bad('truncated', src.subarray(0, Math.floor(src.length / 2))),
        /zip|truncat|central directory|end of/i,
      ));

    it('a safetensors file with overlapping offsets', () => {
      const header = JSON.stringify({
        a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
      });
      const h = Buffer.from(header.padEnd(Math.ceil(header.length / 8) * 8, ' '));
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(h.length));
      expectRefused(bad('overlap', Buffer.concat([len, h, Buffer.alloc(12)])), /overlap|offset/i);
    });

    it.skipIf(!hasOracle)('a wrong magic number, a storage past the end, and a pickle importing os.system', () => {
      const dir = path.join(tmp.dir, 'py-bad');
      mkdirSync(dir, { recursive: true });
      runPython(
        `
import os, pickle, sys, torch, io, zipfile
d = sys.argv[1]
t = {"w": torch.arange(1000, dtype=torch.float32)}
torch.save(t, f"{d}/legacy.bin", _use_new_zipfile_serialization=False)
raw = bytearray(open(f"{d}/legacy.bin", "rb").read())
raw[5] ^= 0xFF  # inside the pickled magic number
open(f"{d}/magic.bin", "wb").write(raw)
full = open(f"{d}/legacy.bin", "rb").read()
open(f"{d}/pasteof.bin", "wb").write(full[:-2000])  # the storage record says 1000 floats; fewer remain
class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > " + d + "/PWNED",))
torch.save(t, f"{d}/evil.bin")
z_in = zipfile.ZipFile(f"{d}/evil.bin")
z_out = zipfile.ZipFile(f"{d}/evil2.bin", "w", zipfile.ZIP_STORED)
for item in z_in.infolist():
    data = z_in.read(item.filename)
    if item.filename.endswith("data.pkl"):
        data = pickle.dumps({"w": Evil()}, protocol=2)
    z_out.writestr(item, data)
z_out.close()
`,
        [dir],
      );
      expectRefused(path.join(dir, 'magic.bin'), /magic/i);
      expectRefused(path.join(dir, 'pasteof.bin'), /past|end of|truncat|beyond/i);
      expectRefused(path.join(dir, 'evil2.bin'), /posix\.system|os\.system/);
      expect(existsSync(path.join(dir, 'PWNED'))).toBe(false);
    });
  });
});
