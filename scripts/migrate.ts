import { databaseUrl, loadOrCreateSecrets } from "./lib/local-config.ts";
import { applyMigrations } from "./lib/migrate.ts";

// Usage: npm run db:migrate   (DATABASE_URL overrides the local database)
const url = process.env.DATABASE_URL ?? databaseUrl(await loadOrCreateSecrets());
await applyMigrations(url);
console.log("migrations applied");
