import { Command, Redis, ReplyError, type Pipeline } from "ioredis";
import type { CommandExecutor, Outcome, TransactionOutcome } from "./command-executor.ts";
import { refusal } from "./command-policy.ts";
import type { RedisCommand } from "./redis-command.ts";
import { RedisUnavailable } from "./errors.ts";
import { ScriptRegistry, type Rewritten } from "./script-registry.ts";

/**
 * ioredis reshapes some replies by command name (HGETALL into an object, ZRANGE WITHSCORES into pairs). Upstash
 * returns Redis's own flat arrays, which `@upstash/redis` reshapes itself, so replies must reach us untouched.
 */
class UntransformedCommand extends Command {
  override transformReply(result: Buffer | Buffer[]): Buffer | Buffer[] {
    return result;
  }
}

// A null reply encoding keeps bulk strings as Buffers, so binary values survive until base64 encoding.
const toIoredis = ([name, ...args]: RedisCommand) => new UntransformedCommand(name.toLowerCase(), args, { replyEncoding: null });

const isReplyError = (error: unknown): error is Error => error instanceof ReplyError;

export interface RedisAddress {
  host: string;
  port: number;
}

/** Runs Upstash REST commands on one shared ioredis connection. */
export class RedisExecutor implements CommandExecutor {
  readonly #redis: Redis;
  readonly #scripts = new ScriptRegistry();

  constructor(address: RedisAddress, onConnectionError: (error: Error) => void) {
    this.#redis = new Redis({
      ...address,
      // RESP2 is what Upstash speaks: flat arrays for maps, doubles as strings, no RESP3-only types.
      protocol: 2,
      // A request should fail while Redis is down, not hang in the offline queue until the HTTP client gives up.
      maxRetriesPerRequest: 1,
      commandTimeout: 15_000,
    });
    // Without a listener, a refused connection would be an unhandled 'error' event and kill the bridge.
    this.#redis.on("error", onConnectionError);
  }

  async run(command: RedisCommand): Promise<Outcome> {
    const refused = refusal(command);
    if (refused) return { ok: false, error: refused };
    const rewritten = this.#scripts.rewrite(command);
    const ioCommand = toIoredis(rewritten.command);
    void this.#redis.sendCommand(ioCommand);
    try {
      return succeeded(rewritten, await ioCommand.promise);
    } catch (error) {
      if (isReplyError(error)) return { ok: false, error: error.message };
      throw new RedisUnavailable(error);
    }
  }

  async pipeline(commands: RedisCommand[]): Promise<Outcome[]> {
    const outcomes: (Outcome | undefined)[] = commands.map((command) => {
      const refused = refusal(command);
      return refused ? { ok: false, error: refused } : undefined;
    });
    const sent = commands.flatMap((command, index) => (outcomes[index] ? [] : [{ index, rewritten: this.#scripts.rewrite(command) }]));
    if (sent.length) {
      const pipeline = this.#redis.pipeline();
      for (const { rewritten } of sent) (pipeline as unknown as Pipeline).sendCommand(toIoredis(rewritten.command));
      const replies =
        (await pipeline.exec().catch((error: unknown) => {
          throw new RedisUnavailable(error);
        })) ?? [];
      sent.forEach(({ index, rewritten }, position) => {
        const [error, reply] = replies[position] ?? [new Error("missing pipeline reply")];
        outcomes[index] = settle(rewritten, error, reply);
      });
    }
    return outcomes.map((outcome) => outcome ?? { ok: false, error: "ERR command was not run" });
  }

  async transaction(commands: RedisCommand[]): Promise<TransactionOutcome> {
    // Refusing one command discards the whole transaction, like a command Redis rejects while queueing.
    const refused = commands.map(refusal).find(Boolean);
    if (refused) return { ok: false, error: `EXECABORT Transaction discarded because of previous errors: ${refused}` };
    const rewritten = commands.map((command) => this.#scripts.rewrite(command));
    const transaction = this.#redis.multi();
    for (const { command } of rewritten) (transaction as unknown as Pipeline).sendCommand(toIoredis(command));
    let replies: [Error | null, unknown][] | null;
    try {
      replies = await transaction.exec();
    } catch (error) {
      if (!isReplyError(error)) throw new RedisUnavailable(error);
      const cause = (error as { previousErrors?: Error[] }).previousErrors?.[0]?.message;
      return { ok: false, error: cause ? `${error.message} ${cause}` : error.message };
    }
    if (!replies) return { ok: false, error: "EXECABORT Transaction discarded" };
    const settled = rewritten.map((r, i) => {
      const [error, reply] = replies[i] ?? [new Error("missing transaction reply"), undefined];
      return settle(r, error, reply);
    });
    return { ok: true, outcomes: settled };
  }

  async close(): Promise<void> {
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }
}

function settle(rewritten: Rewritten, error: Error | null | undefined, reply: unknown): Outcome {
  if (!error) return succeeded(rewritten, reply);
  if (isReplyError(error)) return { ok: false, error: error.message };
  // Anything but Redis's own error reply means the connection failed: the request as a whole fails.
  throw new RedisUnavailable(error);
}

function succeeded(rewritten: Rewritten, reply: unknown): Outcome {
  return { ok: true, reply: rewritten.reply ? rewritten.reply(reply) : reply };
}
