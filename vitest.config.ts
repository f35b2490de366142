import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", ".cache/**", ".data/**", ".wrangler/**"],
    globalSetup: ["test/global-setup.ts"],
    reporters: ["default", "./test/plain-summary-reporter.ts"],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Two cores: the services and workerd need one of them.
    maxWorkers: 2,
  },
});
