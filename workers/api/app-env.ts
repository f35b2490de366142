import type { Env } from "../env.ts";
import type { QueryDatabase } from "../db/database.ts";
import type { TenantId } from "../../protocol/ids.ts";
import type { Session } from "../identity/session-store.ts";

/** Hono generics for every route: bindings plus what middleware puts on the context. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    db: QueryDatabase;
    tenantId: TenantId;
    /** Set by requireSession on a signed-in person's routes (middleware/session-auth.ts). */
    session: Session;
    sessionId: string;
  };
}
