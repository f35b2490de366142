import { commandName, type RedisCommand } from "./redis-command.ts";

/**
 * Every HTTP request shares the bridge's one Redis connection, so commands that block it or change its state would
 * stall or corrupt everyone else's requests (a SELECT would move all later requests to another database). Upstash's
 * REST API has no connection state either: transactions are /multi-exec, pub/sub is its own endpoint.
 */
const blocking = ["blpop", "brpop", "brpoplpush", "blmove", "blmpop", "bzpopmin", "bzpopmax", "bzmpop", "wait", "waitaof"];
const connectionState = [
  "select",
  "multi",
  "exec",
  "discard",
  "watch",
  "unwatch",
  "quit",
  "reset",
  "hello",
  "auth",
  "client",
  "subscribe",
  "psubscribe",
  "ssubscribe",
  "unsubscribe",
  "punsubscribe",
  "sunsubscribe",
  "monitor",
  "sync",
  "psync",
  "replconf",
  "readonly",
  "readwrite",
];
const refused = new Set([...blocking, ...connectionState]);

/** Why the bridge won't run `command`, or undefined when it may. */
export function refusal(command: RedisCommand): string | undefined {
  const name = commandName(command);
  if (refused.has(name) || isBlockingStreamRead(name, command)) {
    return `ERR command '${name}' is not available through the REST bridge: it would block or change the shared connection`;
  }
  return undefined;
}

/** XREAD/XREADGROUP only block with a BLOCK option, which must come before STREAMS. */
function isBlockingStreamRead(name: string, command: RedisCommand): boolean {
  if (name !== "xread" && name !== "xreadgroup") return false;
  for (const arg of command.slice(1)) {
    const option = arg.toLowerCase();
    if (option === "streams") return false;
    if (option === "block") return true;
  }
  return false;
}
