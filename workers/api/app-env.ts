import type { Env } from "../env.ts";
import type { QueryDatabase } from "../db/database.ts";
import type { TenantId } from "../../protocol/ids.ts";
import type { Session } from "../identity/session-store.ts";
import type { TenantRole } from "../../protocol/permissions.ts";

/** Who a request acts for: the tenant itself (a server API key) or one of its signed-in people. */
export type RequestActor = { kind: "server" } | { kind: "person"; role: TenantRole; userId: string };

/** Hono generics for every route: bindings plus what middleware puts on the context. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    db: QueryDatabase;
    tenantId: TenantId;
    actor: RequestActor;
    /** Set by requireSession on a signed-in person's routes (middleware/session-auth.ts). */
    session: Session;
    sessionId: string;
  };
}
