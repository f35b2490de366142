import { SignJWT } from "jose";
import { type CompositionReport, recordingReportAudience, recordingReportTtlSeconds } from "../../../protocol/recording-composition.ts";

const tries = 4;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Posts the report to the API (`recordingReportPath`) with a short-lived HS256 bearer token (the shared
 * RECORDING_REPORT_SECRET, audience `recordingReportAudience`, at most 5 minutes). The API applies a report once,
 * so a few tries over a blip are safe; a final failure fails the invocation (Lambda's async retry runs it again).
 */
export class ReportPoster {
  private readonly key: Uint8Array;

  constructor(
    private readonly url: string,
    secret: string,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  async post(report: CompositionReport): Promise<void> {
    let last = "";
    for (let attempt = 1; attempt <= tries; attempt++) {
      const token = await new SignJWT({ tenantId: report.tenantId })
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setIssuer("recording-compositor")
        .setSubject(report.recordingId)
        .setAudience(recordingReportAudience)
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + recordingReportTtlSeconds)
        .setJti(crypto.randomUUID())
        .sign(this.key);
      try {
        const response = await fetch(this.url, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify(report),
          signal: AbortSignal.timeout(10_000),
        });
        await response.body?.cancel();
        if (response.ok) return;
        last = `HTTP ${response.status}`;
        // A refusal (bad token, unknown recording) will not change on retry.
        if (response.status >= 400 && response.status < 500 && response.status !== 429) break;
      } catch (error) {
        last = (error as Error).message;
      }
      if (attempt < tries) await sleep(250 * 2 ** attempt);
    }
    throw new Error(`posting the composition report failed: ${last}`);
  }
}
