import type { LocalService } from "./local-service.ts";

// Placeholder until this service is implemented.
export const postgresService: LocalService = {
  name: "postgres",
  async up() {
    throw new Error("postgres service not implemented yet");
  },
  async down() {},
};
