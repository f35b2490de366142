import type { LocalService } from "./local-service.ts";

// Placeholder until this service is implemented.
export const livekitService: LocalService = {
  name: "livekit",
  async up() {
    throw new Error("livekit service not implemented yet");
  },
  async down() {},
};
