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

// npm run bench: brings up the stack (reusing running services), then prints each benchmark with its baseline.
await servicesUp(await loadOrCreateSecrets());
await benchApiReadPath();
await benchRoomFanout();
await benchRoomMemory();
await benchPlacement();
await benchMediaTokens();
await benchSfuSwitch();
await benchUsageQueries();
await benchWebhookDelivery();
await benchAnalyticsIngest();
await benchRecordingComposite();
