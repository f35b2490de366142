/**
 * Rewrites an HLS playlist's references (media segments, variant playlists, `URI="…"` attributes such as the
 * fMP4 init segment) through `urlOf`, which is given each reference as written (relative to the playlist). The
 * player then fetches every piece through a URL the API signed; nothing in the bucket is public. Pure.
 */
export function rewritePlaylist(playlist: string, urlOf: (reference: string) => string): string {
  return playlist
    .split(/\r?\n/)
    .map((line) => {
      const trimmed = line.trim();
      if (!trimmed) return line;
      if (trimmed.startsWith("#")) return trimmed.replace(/URI="([^"]+)"/g, (_, reference: string) => `URI="${urlOf(reference)}"`);
      return urlOf(trimmed);
    })
    .join("\n");
}

/** Resolves a playlist's relative reference against the playlist's own key; refuses anything leaving `root`. */
export function resolveReference(playlistKey: string, reference: string, root: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(reference) || reference.startsWith("/")) return undefined;
  const parts = playlistKey.split("/").slice(0, -1);
  for (const segment of reference.split("?")[0]!.split("/")) {
    if (segment === "..") parts.pop();
    else if (segment !== "." && segment !== "") parts.push(segment);
  }
  const key = parts.join("/");
  return key.startsWith(root) ? key : undefined;
}
