import { databaseUrl } from "../lib/local-config.ts";
import { applyMigrations } from "../lib/migrate.ts";
import type { LocalService } from "./local-service.ts";

/** Not a process: brings the local database's schema up to the committed migrations. */
export const migrationsService: LocalService = {
  name: "migrations",
  async up(secrets) {
    await applyMigrations(databaseUrl(secrets));
    return "schema/migrations applied";
  },
  async down() {},
};
