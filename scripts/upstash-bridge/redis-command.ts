/** One Redis command as the bridge sends it: the name, then every argument already turned into a string. */
export type RedisCommand = [name: string, ...args: string[]];

/** Redis command names are case-insensitive; every decision in the bridge compares them lower-cased. */
export const commandName = (command: RedisCommand): string => command[0].toLowerCase();
