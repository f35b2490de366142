import { defineConfig } from "vitest/config";

/** The pure, in-process tests (`npm run test:unit`): no services, milliseconds each. `npm test` runs them too. */
export default defineConfig({
  test: {
    include: [
      "protocol/**/*.test.ts",
      "workers/**/*.test.ts",
      "media-fleet/**/*.test.ts",
      "functions/**/*.test.ts",
      "web/src/**/*.test.ts",
    ],
    exclude: ["node_modules/**"],
    maxWorkers: 2,
  },
});
