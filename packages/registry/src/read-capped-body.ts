/**
 * The text of a fetch Response, read in bounded memory: null once the body passes `maxBytes` (the
 * stream is cancelled then), so a hostile or broken endpoint that sends without end cannot exhaust
 * memory.
 */
export async function readCappedBody(res: Response, maxBytes: number): Promise<string | null> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length > maxBytes) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
