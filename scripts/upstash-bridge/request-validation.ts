import { z } from "zod";
import type { RedisCommand } from "./redis-command.ts";

/** Validation of request bodies: total functions, so no input can throw past the server's boundary. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

// `@upstash/redis` sends strings, numbers and booleans as they are and JSON-encodes anything else itself.
const argument = z.union([z.string(), z.number(), z.boolean()]);
const commandSchema = z.tuple([z.string().min(1)], argument);
const commandListSchema = z.array(z.unknown()).min(1);

const commandShape = "a command is a JSON array of a name and string or number arguments";

export function parseJson(text: string): Parsed<unknown> {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, error: "ERR request body is not valid JSON" };
  }
}

export function parseCommand(value: unknown): Parsed<RedisCommand> {
  const parsed = commandSchema.safeParse(value);
  if (!parsed.success) return { ok: false, error: `ERR invalid command: ${commandShape}` };
  const [name, ...args] = parsed.data;
  return { ok: true, value: [name, ...args.map(String)] };
}

/** For /pipeline and /multi-exec: one bad entry rejects the whole request, before anything runs. */
export function parseCommandList(value: unknown): Parsed<RedisCommand[]> {
  const list = commandListSchema.safeParse(value);
  if (!list.success) return { ok: false, error: "ERR invalid pipeline: expected a non-empty JSON array of commands" };
  const commands: RedisCommand[] = [];
  for (const [index, entry] of list.data.entries()) {
    const command = parseCommand(entry);
    if (!command.ok) return { ok: false, error: `ERR invalid command at index ${index}: ${commandShape}` };
    commands.push(command.value);
  }
  return { ok: true, value: commands };
}
