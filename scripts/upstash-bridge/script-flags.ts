/**
 * Upstash's Lua scripts (all of `@upstash/ratelimit`'s) open with `#!lua flags=allow-key-locking`, a flag only
 * Upstash knows; Redis 7.0 refuses the whole script ("Unexpected flag in script shebang"). Redis runs every script
 * atomically anyway, so dropping flags it doesn't know loses nothing. Flags it does know are kept, and so is the
 * shebang itself, because its presence changes how Redis treats the script.
 */
const flagsRedisKnows = new Set(["no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys"]);

/** Returns the script Redis will accept, or the very same string when nothing needed stripping. */
export function withoutUnknownFlags(script: string): string {
  if (!script.startsWith("#!")) return script;
  const lineEnd = script.indexOf("\n");
  const shebang = lineEnd === -1 ? script : script.slice(0, lineEnd);
  const rest = lineEnd === -1 ? "" : script.slice(lineEnd);
  const [engine, ...options] = shebang.trim().split(/\s+/);
  let changed = false;
  const kept = options.flatMap((option) => {
    if (!option.startsWith("flags=")) return [option];
    const flags = option.slice("flags=".length).split(",").filter(Boolean);
    const known = flags.filter((flag) => flagsRedisKnows.has(flag));
    if (known.length === flags.length) return [option];
    changed = true;
    return known.length ? [`flags=${known.join(",")}`] : [];
  });
  return changed ? [engine, ...kept].join(" ") + rest : script;
}
