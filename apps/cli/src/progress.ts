/** A progress bar on a TTY; silent otherwise (and under --json), so logs and pipes stay clean. */
export interface Progress {
  update(done: number, label?: string): void;
  finish(): void;
}

/**
 * `bytes` bars show a percentage and bytes/s and redraw at most every 100 ms; `items` bars (images,
 * texts) show done/total and items/s and redraw on every update, since updates come per batch.
 */
export function createProgress(
  stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
  total: number,
  title: string,
  enabled = true,
  unit: 'bytes' | 'items' = 'bytes',
): Progress {
  if (!enabled || !stream.isTTY || total <= 0) return { update() {}, finish() {} };
  const start = performance.now();
  let last = -Infinity;
  const draw = (done: number, label = ''): void => {
    const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - 60));
    const frac = Math.min(1, done / total);
    const filled = Math.round(frac * width);
    const rate = done / Math.max((performance.now() - start) / 1000, 1e-9);
    const amount =
      unit === 'bytes'
        ? `${(frac * 100).toFixed(0).padStart(3)}% ${formatBytes(rate)}/s`
        : `${done}/${total} ${rate.toFixed(1)}/s`;
    stream.write(
      `\r${title} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${amount} ${label}`
        .trimEnd()
        .slice(0, (stream.columns ?? 120) - 1) + '\x1b[K',
    );
  };
  return {
    update(done, label) {
      const now = performance.now();
      if (unit === 'bytes' && now - last < 100 && done < total) return;
      last = now;
      draw(done, label);
    },
    finish() {
      draw(total);
      stream.write('\n');
    },
  };
}

/**
 * A bar created on the first update, when a library's progress callback first reports the total; finish()
 * is a no-op when nothing was reported.
 */
export function lazyProgress(
  stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
  title: string,
  enabled = true,
): { update(done: number, total: number, label?: string): void; finish(): void } {
  let bar: Progress | null = null;
  return {
    update(done, total, label) {
      bar ??= createProgress(stream, total, title, enabled);
      bar.update(done, label);
    },
    finish() {
      bar?.finish();
    },
  };
}

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
