import crypto from "node:crypto";
import { commandName, type RedisCommand } from "./redis-command.ts";
import { withoutUnknownFlags } from "./script-flags.ts";

/** A command as it goes to Redis, and how its reply must be changed on the way back. */
export interface Rewritten {
  command: RedisCommand;
  reply?: (reply: unknown) => unknown;
}

/** Bounds memory against clients generating scripts; an evicted hash just costs the client one NOSCRIPT + EVAL. */
const maxRemembered = 1024;

const sha1 = (text: string) => crypto.createHash("sha1").update(text, "utf8").digest("hex");

/**
 * Makes Upstash-flagged Lua scripts runnable while clients keep using their own SHA1s.
 *
 * Clients compute the hash of the script they hold (ratelimit ships them precomputed) and call EVALSHA with it,
 * falling back to EVAL on NOSCRIPT. Redis only ever sees the stripped script, whose hash differs, so the bridge
 * remembers original hash -> stripped script and answers EVALSHA of a known hash with EVAL of the stripped text.
 * EVAL (not EVALSHA of the stripped hash) keeps working even after Redis restarts and forgets its script cache.
 */
export class ScriptRegistry {
  readonly #strippedByOriginalHash = new Map<string, string>();

  rewrite(command: RedisCommand): Rewritten {
    const name = commandName(command);
    const [, first, ...rest] = command;
    if (first === undefined) return { command };
    switch (name) {
      case "eval":
      case "eval_ro":
        return { command: [command[0], this.#register(first) ?? first, ...rest] };
      case "evalsha":
      case "evalsha_ro": {
        const script = this.#strippedByOriginalHash.get(first.toLowerCase());
        if (script === undefined) return { command };
        return { command: [name === "evalsha" ? "eval" : "eval_ro", script, ...rest] };
      }
      case "script":
        return this.#rewriteScriptSubcommand(command, first.toLowerCase(), rest);
      default:
        return { command };
    }
  }

  #rewriteScriptSubcommand(command: RedisCommand, subcommand: string, rest: string[]): Rewritten {
    const [script] = rest;
    if (subcommand === "load" && script !== undefined && rest.length === 1) {
      const stripped = this.#register(script);
      if (stripped === undefined) return { command };
      // Redis answers with the stripped script's hash; the client expects the hash of what it sent.
      const originalHash = sha1(script);
      return { command: [command[0], command[1]!, stripped], reply: () => originalHash };
    }
    if (subcommand === "exists") {
      const hashes = rest.map((hash) => {
        const stripped = this.#strippedByOriginalHash.get(hash.toLowerCase());
        return stripped === undefined ? hash : sha1(stripped);
      });
      return { command: [command[0], command[1]!, ...hashes] };
    }
    // After a flush the client must see NOSCRIPT again, as it would from Redis.
    if (subcommand === "flush") this.#strippedByOriginalHash.clear();
    return { command };
  }

  /** Remembers a flagged script under its original hash; returns the stripped text, or undefined if unflagged. */
  #register(script: string): string | undefined {
    const stripped = withoutUnknownFlags(script);
    if (stripped === script) return undefined;
    const hash = sha1(script);
    const known = this.#strippedByOriginalHash;
    known.delete(hash);
    known.set(hash, stripped);
    if (known.size > maxRemembered) known.delete(known.keys().next().value!);
    return stripped;
  }
}
