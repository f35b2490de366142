import type { LocalService } from "./local-service.ts";

// Placeholder until this service is implemented.
export const s3Service: LocalService = {
  name: "s3",
  async up() {
    throw new Error("s3 service not implemented yet");
  },
  async down() {},
};
