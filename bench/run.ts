import { loadOrCreateSecrets } from "../scripts/lib/local-config.ts";
import { servicesUp } from "../scripts/services/index.ts";
import { benchAnalyticsIngest } from "./analytics-ingest.ts";
import { benchApiReadPath } from "./api-read-path.ts";
import { benchMediaTokens } from "./media-tokens.ts";
import { benchPlacement } from "./placement.ts";
import { benchRecordingComposite } from "./recording-composite.ts";
import { benchSfuSwitch } from "./sfu-switch.ts";
import { benchRoomFanout } from "./room-fanout.ts";
import { benchRoomMemory } from "./room-memory.ts";
import { benchUsageQueries } from "./usage-queries.ts";
import { benchWebhookDelivery } from "./webhook-delivery.ts";

/** Every benchmark in the order `npm run bench` runs them, by the name that selects it. */
const benches: Record<string, () => Promise<void>> = {
  "api-read-path": () => benchApiReadPath(),
  "room-fanout": () => benchRoomFanout(),
  "room-memory": () => benchRoomMemory(),
  placement: () => benchPlacement(),
  "media-tokens": () => benchMediaTokens(),
  "sfu-switch": () => benchSfuSwitch(),
  "usage-queries": () => benchUsageQueries(),
  "webhook-delivery": () => benchWebhookDelivery(),
  "analytics-ingest": () => benchAnalyticsIngest(),
  "recording-composite": () => benchRecordingComposite(),
};

// npm run bench [name…]: brings up the stack (reusing running services), then prints each benchmark (all of them,
// or the ones named) with its baseline.
const chosen = process.argv.slice(2);
const unknown = chosen.filter((name) => !(name in benches));
if (unknown.length > 0) throw new Error(`unknown bench ${unknown.join(", ")}; choose from ${Object.keys(benches).join(", ")}`);
await servicesUp(await loadOrCreateSecrets());
for (const [name, run] of Object.entries(benches)) if (chosen.length === 0 || chosen.includes(name)) await run();
