// Errors of the REST API: every one is answered as JSON `{error, message}` (ErrorBody), `error` a
// short code (bad_request, unauthorized, not_found, ...) and `message` what went wrong, naming the
// field for a 400.

/** An error a route answers with: its HTTP status, code and message (and extra fields). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

export const badRequest = (message: string): HttpError => new HttpError(400, 'bad_request', message);
export const notFound = (message: string): HttpError => new HttpError(404, 'not_found', message);
export const conflict = (message: string): HttpError => new HttpError(409, 'conflict', message);

/** The code of a status the framework answers by itself (a body too large, a bad content type). */
export function codeOfStatus(status: number): string {
  switch (status) {
    case 400:
      return 'bad_request';
    case 401:
      return 'unauthorized';
    case 404:
      return 'not_found';
    case 405:
      return 'method_not_allowed';
    case 413:
      return 'payload_too_large';
    case 415:
      return 'unsupported_media_type';
    case 416:
      return 'range_not_satisfiable';
    default:
      return status < 500 ? 'client_error' : 'internal_error';
  }
}
