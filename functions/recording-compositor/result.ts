import type { z } from "zod";
import type { CompositionReport } from "../../protocol/recording-composition.ts";

/** What an invocation answers. Bad events are answered (never thrown: an async invocation would be retried). */
export type SegmentResult = { ok: true; kind: "segment"; index: number; objectKey: string; attempts: number };
export type ComposeResult = { ok: true; kind: "compose"; report: CompositionReport };
export interface BadEventResult {
  ok: false;
  error: { code: "bad_event"; message: string; issues: { path: string; message: string }[] };
}
export type CompositorResult = SegmentResult | ComposeResult | BadEventResult;

export function badEvent(error: z.ZodError): BadEventResult {
  const issues = error.issues.slice(0, 20).map((i) => ({ path: i.path.join(".") || "(event)", message: i.message }));
  const message = `invalid compositor event: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`;
  return { ok: false, error: { code: "bad_event", message, issues } };
}
