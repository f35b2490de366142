import type { LocalService } from "./local-service.ts";

// Placeholder until this service is implemented.
export const turnService: LocalService = {
  name: "turn",
  async up() {
    throw new Error("turn service not implemented yet");
  },
  async down() {},
};
