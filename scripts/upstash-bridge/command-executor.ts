import type { RedisCommand } from "./redis-command.ts";

/** The outcome of one command: Upstash reports each pipeline entry as `{result}` or `{error}`. */
export type Outcome = { ok: true; reply: unknown } | { ok: false; error: string };

/** A transaction either ran (each command has its outcome) or was discarded as a whole before running. */
export type TransactionOutcome = { ok: true; outcomes: Outcome[] } | { ok: false; error: string };

/**
 * What the HTTP layer needs from Redis. Rejections (a lost connection) are infrastructure failures, distinct from
 * Redis answering with an error, which is an Outcome.
 */
export interface CommandExecutor {
  run(command: RedisCommand): Promise<Outcome>;
  pipeline(commands: RedisCommand[]): Promise<Outcome[]>;
  transaction(commands: RedisCommand[]): Promise<TransactionOutcome>;
  close(): Promise<void>;
}
