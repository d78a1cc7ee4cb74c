/** A progress bar on a TTY; silent otherwise (and under --json), so logs and pipes stay clean. */
export interface Progress {
  update(done: number, label?: string): void;
  finish(): void;
}

export function createProgress(
  stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
  total: number,
  title: string,
  enabled = true,
): Progress {
  if (!enabled || !stream.isTTY || total <= 0) return { update() {}, finish() {} };
  const start = Date.now();
  let last = 0;
  const draw = (done: number, label = ''): void => {
    const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - 60));
    const frac = Math.min(1, done / total);
    const filled = Math.round(frac * width);
    const secs = (Date.now() - start) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    stream.write(
      `\r${title} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}% ${formatBytes(rate)}/s ${label}`.slice(0, (stream.columns ?? 120) - 1) + '\x1b[K',
    );
  };
  return {
    update(done, label) {
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      draw(done, label);
    },
    finish() {
      draw(total);
      stream.write('\n');
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
