import { databaseUrl, loadOrCreateSecrets } from "./lib/local-config.ts";
import { provisionTenant } from "./lib/dev-tenant.ts";

// Usage: npm run tenant:create -- "Acme Inc"   (DATABASE_URL overrides the local database)
const name = process.argv.slice(2).join(" ").trim();
if (!name || name.length > 200) {
  console.error('usage: npm run tenant:create -- "<tenant name>" (1-200 characters)');
  process.exit(2);
}
const url = process.env.DATABASE_URL ?? databaseUrl(await loadOrCreateSecrets());
const tenant = await provisionTenant(url, name);
console.log(`tenant  ${tenant.tenantId}  ${name}`);
console.log(`api key ${tenant.apiKey}`);
console.log("The key is shown once: store it now. Only its hash is kept.");
