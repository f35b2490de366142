import type { TenantId } from "../../../protocol/ids.ts";
import type { QueryDatabase } from "../../db/database.ts";
import { tenantHasMeeting } from "../../usage/usage-repository.ts";
import { ApiError } from "../errors.ts";

/** A meeting filter naming another tenant's meeting is a 404, exactly like one that does not exist. */
export async function requireUsageMeeting(db: QueryDatabase, tenantId: TenantId, meetingId: string): Promise<void> {
  if (!(await tenantHasMeeting(db, tenantId, meetingId))) throw new ApiError("not_found", "No meeting with this id");
}
