import type { Parsed } from "./request-validation.ts";
import type { RedisCommand } from "./redis-command.ts";

/**
 * Upstash's URL form, `GET /set/key/value/EX/60`: each path segment is one URL-encoded argument. A POST to such a
 * path may carry the last argument as its raw body (`POST /set/key` with the value), which spares escaping it.
 */
export function commandFromPath(pathname: string, body?: string): Parsed<RedisCommand> {
  const segments = pathname.split("/").filter((segment) => segment !== "");
  const decoded: string[] = [];
  for (const segment of segments) {
    try {
      decoded.push(decodeURIComponent(segment));
    } catch {
      return { ok: false, error: "ERR malformed URL encoding in the command path" };
    }
  }
  if (body) decoded.push(body);
  const [name, ...args] = decoded;
  if (!name) return { ok: false, error: "ERR no command in the path" };
  return { ok: true, value: [name, ...args] };
}
