// Runs one hub server in its own process for the benchmarks, so a server that blocks its event loop
// cannot stall the load generator, and can be killed when it runs past a cap.
// Usage: vite-node bench/child-server.ts -- MODULE DATA_DIR TOKENS_FILE [OPTIONS_JSON]
// MODULE exports createHubServer: this package's src/index.ts, or an older copy of the server (the baseline).
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [modulePath, dataDir, tokensFile, optionsJson] = process.argv.slice(2).filter((a) => a !== '--');
if (!modulePath || !dataDir || !tokensFile)
  throw new Error('usage: child-server.ts MODULE DATA_DIR TOKENS_FILE [OPTIONS_JSON]');
const mod = (await import(pathToFileURL(path.resolve(modulePath)).href)) as {
  createHubServer(o: Record<string, unknown>): Promise<{ url: string; close(): Promise<void> }>;
};
const server = await mod
  .createHubServer({
    dataDir,
    tokensFile,
    port: 0,
    host: '127.0.0.1',
    ...(optionsJson ? (JSON.parse(optionsJson) as Record<string, unknown>) : {}),
  })
  .catch((e: unknown) => {
    process.stderr.write(`bench server: ${(e as Error).message}\n`);
    process.exit(2);
  });
process.stdout.write(`listening ${server.url}\n`);
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
