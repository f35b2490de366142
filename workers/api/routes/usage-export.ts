import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { logEvent, describeError } from "../../observability/log.ts";
import { meterDefinitions, type UsageMeter } from "../../usage/meters.ts";
import { csvHeader, csvLine } from "../../usage/usage-csv.ts";
import { checkRange } from "../../usage/usage-range.ts";
import { listUsageRecords } from "../../usage/usage-repository.ts";
import type { AppEnv } from "../app-env.ts";
import { ApiError } from "../errors.ts";
import { validationHook } from "../middleware/validation-hook.ts";
import { problemResponses } from "../schemas/problem.ts";
import { UsageExportQuery } from "../schemas/usage.ts";
import { requireUsageMeeting } from "./usage-scope.ts";

/** Rows read per query while streaming: keyset pages, so memory stays flat whatever the range holds. */
const pageSize = 2_000;

const exportRoute = createRoute({
  method: "get",
  path: "/v1/usage/records.csv",
  tags: ["Usage"],
  security: [{ apiKey: [] }],
  summary: "The same records as GET /v1/usage/records, every page, as CSV",
  request: { query: UsageExportQuery },
  responses: {
    200: { description: "CSV (RFC 4180)", content: { "text/csv": { schema: z.string() } } },
    ...problemResponses(400, 401, 404),
  },
});

export const usageExportRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(exportRoute, async (c) => {
  const db = c.get("db");
  const tenantId = c.get("tenantId");
  const { from, to, meeting, meter } = c.req.valid("query");
  const range = checkRange(new Date(from), new Date(to), "day");
  if (!range.ok) throw new ApiError("validation_failed", `${range.path} ${range.message}`, [{ path: range.path, message: range.message }]);
  if (meeting) await requireUsageMeeting(db, tenantId, meeting);
  const filter = { from: range.from, to: range.to, meetingId: meeting, meter };
  // The first page is read before answering, so a failing query is still a problem response, not a cut-off file.
  let rows = await listUsageRecords(db, tenantId, filter, { limit: pageSize });
  const encoder = new TextEncoder();
  let started = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        if (!started) {
          started = true;
          controller.enqueue(encoder.encode(csvHeader()));
        }
        if (!rows.length) return controller.close();
        controller.enqueue(
          encoder.encode(
            rows
              .map((row) =>
                csvLine({
                  id: row.id,
                  meter: row.kind,
                  unit: meterDefinitions[row.kind as UsageMeter]?.unit ?? "",
                  quantity: row.quantity,
                  meeting_id: row.meetingId,
                  source: row.source,
                  source_id: row.sourceId,
                  period_start: row.periodStart.toISOString(),
                  period_end: row.periodEnd.toISOString(),
                  adjustment_of: row.adjustmentOf,
                  recorded_at: row.createdAt.toISOString(),
                }),
              )
              .join(""),
          ),
        );
        const last = rows.at(-1)!;
        rows =
          rows.length < pageSize
            ? []
            : await listUsageRecords(db, tenantId, filter, { limit: pageSize, after: { at: last.periodEnd, id: last.id } });
      } catch (error) {
        // Headers are gone: the only honest signal left is a broken stream (the client sees a truncated transfer).
        logEvent("request_failed", { where: "usage_export", error: describeError(error) });
        controller.error(error);
      }
    },
  });
  return c.body(body, 200, {
    "content-type": "text/csv; charset=utf-8",
    "content-disposition": `attachment; filename="usage-${from.slice(0, 10)}-${to.slice(0, 10)}.csv"`,
    "cache-control": "private, no-store",
  });
});
