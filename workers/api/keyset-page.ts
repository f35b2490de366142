import { decodeCursor, type PageCursor } from "../meetings/page-cursor.ts";
import { ApiError } from "./errors.ts";

/**
 * Where a listing's page starts: after the position its `cursor` query names, or at the top without one. A cursor
 * this API did not issue is a 400, never a silent first page.
 */
export function pageAfter(cursor: string | undefined): PageCursor | undefined;
export function pageAfter<C>(cursor: string | undefined, decode: (encoded: string) => C | undefined): C | undefined;
export function pageAfter(cursor: string | undefined, decode: (encoded: string) => unknown = decodeCursor): unknown {
  if (cursor === undefined) return undefined;
  const after = decode(cursor);
  if (!after) throw new ApiError("validation_failed", "cursor is not one this API issued", [{ path: "cursor", message: "invalid cursor" }]);
  return after;
}

/**
 * A page from the `limit + 1` rows a listing fetched: the extra row says whether another page exists without a
 * count, and the cursor then names the page's last row.
 */
export function pageOf<T>(rows: readonly T[], limit: number, cursorOf: (last: T) => string): { page: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { page, nextCursor: rows.length > limit && last !== undefined ? cursorOf(last) : null };
}
