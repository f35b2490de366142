export * from "./tenants.ts";
export * from "./meetings.ts";
export * from "./chat.ts";
export * from "./recordings.ts";
export * from "./webhooks.ts";
export * from "./usage.ts";
export * from "./outbox.ts";
export * from "./analytics.ts";
