/**
 * Opaque keyset cursor for newest-first listings: the (createdAt, id) of the last row served.
 * Keyset (not offset) so pages stay stable while meetings are created concurrently.
 */
export interface PageCursor {
  createdAt: Date;
  id: string;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeCursor(cursor: PageCursor): string {
  const raw = `${cursor.createdAt.toISOString()}|${cursor.id}`;
  return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Undefined for anything that is not a cursor we issued (the caller answers 400). */
export function decodeCursor(encoded: string): PageCursor | undefined {
  let raw: string;
  try {
    raw = atob(encoded.replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    return undefined;
  }
  const [iso, id, ...rest] = raw.split("|");
  if (rest.length || !iso || !id || !uuidPattern.test(id)) return undefined;
  const createdAt = new Date(iso);
  if (Number.isNaN(createdAt.getTime()) || createdAt.toISOString() !== iso) return undefined;
  return { createdAt, id };
}
