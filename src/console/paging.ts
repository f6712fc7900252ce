import { decodeCursor } from '../http/validate.ts';
import { consoleError } from './app.ts';

/** A list page's `cursor` parameter, as the REST API encodes it; a bad one is a 400 page, not a JSON error. */
export function pageCursor(cursor: string | undefined): string | undefined {
  try {
    return decodeCursor(cursor);
  } catch {
    throw consoleError(400, 'That page link is not valid; start from the first page.');
  }
}
