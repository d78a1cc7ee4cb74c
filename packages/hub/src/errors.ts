import { CliphubError } from '@cliphub/core';

export type HubClientErrorCode =
  | 'BAD_CONFIG'
  | 'BAD_FOLDER'
  | 'BAD_REPO_ID'
  | 'BAD_REPO_PATH'
  | 'BAD_TOKEN'
  | 'BAD_VALIDATION_REPORT'
  | 'DOWNLOAD_CORRUPT'
  | 'DOWNLOAD_FAILED'
  | 'DUPLICATE_PATH'
  | 'HUB_AUTH'
  | 'HUB_CONFLICT'
  | 'HUB_NOT_FOUND'
  | 'HUB_REQUEST_FAILED'
  | 'MODEL_MISMATCH'
  | 'NOTHING_TO_PUSH'
  | 'NOT_A_FOLDER'
  | 'NO_COMMIT'
  | 'NO_TOKEN'
  | 'NO_TORCH_SAVE_FILE'
  | 'UNSAFE_OID'
  | 'UNSAFE_PATH'
  | 'VALIDATION_ERRORED';

/** A push/pull failure; `exitCode` 2 for bad input (repo id, folder, token), 1 when the Hub refused or failed. */
export class HubClientError extends CliphubError<HubClientErrorCode> {
  override name = 'HubClientError';
}

/** Replaces every occurrence of the token so it can never leak through an error message. */
export function redact(text: string, token: string | undefined): string {
  return token ? text.split(token).join('hf_***') : text;
}

/** Rethrows any error as a HubClientError whose message cannot contain the token. */
export function wrapHubError(e: unknown, what: string, token: string | undefined): HubClientError {
  if (e instanceof HubClientError) return new HubClientError(e.code, redact(e.message, token), e.exitCode);
  const msg = redact(((e as Error)?.message ?? String(e)).split('\n')[0] ?? '', token);
  const status = (e as { statusCode?: number }).statusCode;
  const code =
    status === 401 || status === 403
      ? 'HUB_AUTH'
      : status === 404
        ? 'HUB_NOT_FOUND'
        : status === 412
          ? 'HUB_CONFLICT'
          : 'HUB_REQUEST_FAILED';
  const hint =
    code === 'HUB_AUTH'
      ? ' (check HF_TOKEN: writes need a write token for the namespace)'
      : code === 'HUB_CONFLICT'
        ? ' (the branch moved meanwhile: re-run to push on top of it)'
        : '';
  return new HubClientError(code, `${what} failed: ${msg}${hint}`, 1);
}
