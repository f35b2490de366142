import { servicesDown } from "./services/index.ts";

// Usage: npm run services:down [-- name ...]
await servicesDown(process.argv.slice(2));
console.log("local services stopped");
