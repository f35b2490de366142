import { defineConfig } from "drizzle-kit";

// Migrations are generated from schema/ and committed; scripts/migrate.ts applies them.
export default defineConfig({
  dialect: "postgresql",
  schema: "./schema/index.ts",
  out: "./schema/migrations",
  strict: true,
});
