import path from 'node:path';
import { HubConfigError } from './errors.js';
import { createHubServer, type HubServer, type HubServerOptions } from './server.js';

/** The command-line options of `cliphub serve` and `cliphub-hub-server` (node:util parseArgs form). */
export const SERVE_OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  data: { type: 'string' },
  tokens: { type: 'string' },
  'public-url': { type: 'string' },
  'trust-proxy': { type: 'boolean' },
  'rate-limit': { type: 'string' },
  concurrency: { type: 'string' },
  'body-timeout': { type: 'string' },
  'headers-timeout': { type: 'string' },
} as const;

export const SERVE_OPTIONS_USAGE = `  --port P              port (default 8080; 0 picks a free one)
  --host H              interface (default 127.0.0.1)
  --data DIR            where repositories are stored (default ./cliphub-hub-data); one server per DIR
  --tokens FILE         one "TOKEN USER ROLE [ORG,...]" per line, ROLE read|write
  --public-url URL      the URL clients use, e.g. https://hub.example.org behind a TLS proxy
  --trust-proxy         take client addresses from X-Forwarded-For (only behind your own proxy)
  --rate-limit N        requests per second per user (default 200; anonymous: a quarter, per address)
  --concurrency N       requests in flight per user (default 32; anonymous: half, per address)
  --body-timeout S      drop a request body that stalls for S seconds (default 30)
  --headers-timeout S   drop a client that takes S seconds to send its headers (default 30)
`;

type Values = {
  [K in keyof typeof SERVE_OPTIONS]?: (typeof SERVE_OPTIONS)[K]['type'] extends 'boolean' ? boolean : string;
};

function positive(name: string, raw: string | undefined, integer: boolean): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)))
    throw new HubConfigError(
      'BAD_OPTION',
      `--${name} must be a positive ${integer ? 'integer' : 'number'}, got '${raw}'`,
    );
  return n;
}

/** Server options from parsed command-line values; relative paths resolve against `cwd`. */
export function serveOptionsFromArgs(values: Values, cwd: string, log: (line: string) => void): HubServerOptions {
  const port = Number(values.port ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new HubConfigError('BAD_OPTION', `--port must be 0..65535, got '${values.port}'`);
  const rate = positive('rate-limit', values['rate-limit'], false);
  const concurrency = positive('concurrency', values.concurrency, true);
  const bodyTimeout = positive('body-timeout', values['body-timeout'], false);
  const headersTimeout = positive('headers-timeout', values['headers-timeout'], false);
  return {
    dataDir: path.resolve(cwd, values.data ?? 'cliphub-hub-data'),
    tokensFile: values.tokens ? path.resolve(cwd, values.tokens) : undefined,
    port,
    host: values.host ?? '127.0.0.1',
    log,
    publicUrl: values['public-url'],
    trustProxy: values['trust-proxy'] ?? false,
    rateLimits: {
      ...(rate !== undefined && { userRate: rate, userBurst: rate * 5, anonymousRate: rate / 4, anonymousBurst: rate }),
      ...(concurrency !== undefined && {
        userConcurrency: concurrency,
        anonymousConcurrency: Math.max(1, Math.floor(concurrency / 2)),
      }),
    },
    timeouts: {
      ...(bodyTimeout !== undefined && { bodyIdleMs: bodyTimeout * 1000 }),
      ...(headersTimeout !== undefined && { headersMs: headersTimeout * 1000 }),
    },
  };
}

/** Resolves after SIGINT or SIGTERM, once the server has closed (its data-dir lock released). */
export function serveUntilSignal(server: HubServer): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void server.close().then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/**
 * What `cliphub serve` and `cliphub-hub-server` do with their parsed options: start the server, print where
 * it listens, and serve until SIGINT/SIGTERM.
 */
export async function serveFromArgs(
  values: Values,
  io: { cwd: string; stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
  onListening?: (url: string) => void,
): Promise<void> {
  const server = await createHubServer(serveOptionsFromArgs(values, io.cwd, (line) => io.stderr.write(`${line}\n`)));
  io.stdout.write(`cliphub hub listening on ${server.url}\n`);
  onListening?.(server.url);
  await serveUntilSignal(server);
}
