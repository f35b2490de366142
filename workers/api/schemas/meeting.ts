import { z } from "@hono/zod-openapi";
import { uuidIdParam } from "./openapi-parts.ts";
import { pageQueryFields } from "./page-query.ts";
import { MeetingId } from "../../../protocol/ids.ts";
import { isStorableJson, isStorableLine, storableTextMessage } from "../../../protocol/text.ts";
import { RecurrenceRule } from "../../calendar/core/recurrence.ts";
import { TimeZone } from "../../identity/core/profile.ts";

/** Titles, names: text Postgres will store (no NUL, no lone surrogate, no control characters). */
const storableLine = (schema: z.ZodString) => schema.refine(isStorableLine, storableTextMessage);

const metadataSchema = z
  .record(z.string().max(64), z.unknown())
  .superRefine((value, ctx) => {
    // jsonb refuses NUL and lone surrogates anywhere inside. A bad key is not echoed back as an issue path.
    for (const [key, item] of Object.entries(value)) {
      if (!isStorableLine(key)) ctx.addIssue({ code: "custom", path: [], message: `keys ${storableTextMessage}` });
      else if (!isStorableJson(item)) ctx.addIssue({ code: "custom", path: [key], message: storableTextMessage });
    }
  })
  .refine((value) => JSON.stringify(value).length <= 4096, "metadata must serialise to at most 4096 bytes")
  .openapi({ description: "Tenant-defined data, at most 4 KiB as JSON", example: { course: "bio-101" } });

const dateTime = z.iso.datetime({ offset: true }).openapi({ example: "2026-12-01T15:00:00Z" });
const timeZone = TimeZone.openapi({
  description: "IANA time zone the schedule is meant in (invites keep its local time across DST)",
  example: "Europe/Paris",
});
const recurrence = RecurrenceRule.openapi({
  description: "RFC 5545 RRULE value, from the scheduled start",
  example: "FREQ=WEEKLY;BYDAY=TU;COUNT=10",
});
const attendees = z
  .array(z.strictObject({ email: z.email().max(254).toLowerCase(), name: storableLine(z.string().trim().min(1).max(200)).optional() }))
  .max(500)
  .openapi({ description: "Who the invite is for" });

export const MeetingIdParam = uuidIdParam(MeetingId, "7b0c0e1e-3c55-4bb4-9d8e-4e4b7bd3b9f1");

export const CreateMeetingBody = z
  .strictObject({
    title: storableLine(z.string().trim().min(1).max(200)),
    waitingRoom: z.boolean().default(false),
    e2ee: z.boolean().default(false),
    autoRecord: z.boolean().default(false).openapi({ description: "Record each session from its first arrival" }),
    recordingConsent: z
      .boolean()
      .default(false)
      .openapi({ description: "Recordings ask each participant and capture only those who accept" }),
    maxParticipants: z.number().int().min(1).max(10_000).default(100),
    scheduledStartAt: dateTime.nullable().optional(),
    scheduledEndAt: dateTime.nullable().optional(),
    timeZone: timeZone.nullable().default(null),
    recurrenceRule: recurrence.nullable().default(null),
    attendees: attendees.default([]),
    metadata: metadataSchema.default({}),
  })
  .refine((m) => !m.scheduledStartAt || !m.scheduledEndAt || new Date(m.scheduledEndAt) > new Date(m.scheduledStartAt), {
    message: "scheduledEndAt must be after scheduledStartAt",
    path: ["scheduledEndAt"],
  })
  .openapi("CreateMeeting");

export const UpdateMeetingBody = z
  .strictObject({
    title: storableLine(z.string().trim().min(1).max(200)),
    waitingRoom: z.boolean(),
    e2ee: z.boolean(),
    autoRecord: z.boolean(),
    recordingConsent: z.boolean(),
    maxParticipants: z.number().int().min(1).max(10_000),
    scheduledStartAt: dateTime.nullable(),
    scheduledEndAt: dateTime.nullable(),
    timeZone: timeZone.nullable(),
    recurrenceRule: recurrence.nullable(),
    attendees,
    metadata: metadataSchema,
  })
  .partial()
  .refine((patch) => Object.keys(patch).length > 0, "send at least one field to change")
  .openapi("UpdateMeeting");

export const MeetingSchema = z
  .object({
    id: z.uuid(),
    title: z.string(),
    status: z.enum(["scheduled", "live", "ended"]),
    waitingRoom: z.boolean(),
    e2ee: z.boolean(),
    autoRecord: z.boolean(),
    recordingConsent: z.boolean(),
    maxParticipants: z.number().int(),
    scheduledStartAt: z.string().nullable(),
    scheduledEndAt: z.string().nullable(),
    timeZone: z.string().nullable(),
    recurrenceRule: z.string().nullable(),
    attendees: z.array(z.object({ email: z.string(), name: z.string().optional() })),
    inviteSequence: z.number().int().openapi({ description: "The invite's SEQUENCE: raised by every change a calendar must take" }),
    endedAt: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Meeting");

export const ListMeetingsQuery = z.object({
  ...pageQueryFields,
  status: z
    .enum(["scheduled", "live", "ended"])
    .optional()
    .openapi({ param: { name: "status", in: "query" } }),
});

export const MeetingPageSchema = z
  .object({
    data: z.array(MeetingSchema),
    nextCursor: z.string().nullable().openapi({ description: "Pass as `cursor` for the next page; null on the last" }),
  })
  .openapi("MeetingPage");

export const IdempotencyHeader = z.object({
  "idempotency-key": z
    .string()
    .min(8)
    .max(128)
    .regex(/^[\x21-\x7e]+$/)
    .optional()
    .openapi({
      param: { name: "idempotency-key", in: "header" },
      description: "Retry-safe create: a repeat with the same key and body returns the first result",
    }),
});
