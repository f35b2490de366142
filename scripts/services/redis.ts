import type { LocalService } from "./local-service.ts";

// Placeholder until this service is implemented.
export const redisService: LocalService = {
  name: "redis",
  async up() {
    throw new Error("redis service not implemented yet");
  },
  async down() {},
};
