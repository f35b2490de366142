import { z } from "zod";
import type { ParticipantRole } from "../../protocol/roles.ts";
import type { Attendee } from "./attendee-list.ts";

/**
 * The REST calls the page makes, as the signed-in person (their session cookie) or, in the demo harness, with
 * the tenant API key (see main.ts for why a page holds one). Responses are validated; failures become
 * `ApiProblem` carrying the problem+json `code`.
 */
const meetingSchema = z.object({
  id: z.string(),
  title: z.string(),
  status: z.string(),
  waitingRoom: z.boolean(),
  scheduledStartAt: z.string().nullable(),
  scheduledEndAt: z.string().nullable(),
  timeZone: z.string().nullable(),
  recurrenceRule: z.string().nullable(),
});
const joinTokenSchema = z.object({ token: z.string(), connectUrl: z.string(), expiresAt: z.string() });
const problemSchema = z.object({ code: z.string(), title: z.string().optional(), detail: z.string().optional() });

export type Meeting = z.infer<typeof meetingSchema>;
export type JoinToken = z.infer<typeof joinTokenSchema>;
export type JoinRole = ParticipantRole;

/** Who the page calls the API as: the demo harness's tenant API key, or the signed-in person's session. */
export type ApiCredentials = { kind: "api_key"; apiKey: string } | { kind: "session"; csrfToken: string };

export interface NewMeeting {
  title: string;
  waitingRoom?: boolean;
  /** ISO instants. */
  scheduledStartAt?: string;
  scheduledEndAt?: string;
  /** IANA zone the schedule is meant in. */
  timeZone?: string;
  /** RFC 5545 RRULE value without the `RRULE:` prefix (`FREQ=WEEKLY`). */
  recurrenceRule?: string | null;
  attendees?: Attendee[];
}

export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
  ) {
    super(detail);
    this.name = "ApiProblem";
  }
}

export class ApiClient {
  constructor(
    private readonly credentials: ApiCredentials,
    private readonly baseUrl: string = window.location.origin,
  ) {}

  createMeeting(input: NewMeeting): Promise<Meeting> {
    return this.request("POST", "/v1/meetings", input, meetingSchema);
  }

  getMeeting(meetingId: string): Promise<Meeting> {
    return this.request("GET", `/v1/meetings/${encodeURIComponent(meetingId)}`, undefined, meetingSchema);
  }

  mintJoinToken(meetingId: string, input: { identity: string; name: string; role: JoinRole }): Promise<JoinToken> {
    return this.request("POST", `/v1/meetings/${encodeURIComponent(meetingId)}/tokens`, input, joinTokenSchema);
  }

  /** The meeting's calendar invite (text/calendar), fetched so it can carry the credentials a plain link can't. */
  async fetchInvite(meetingId: string): Promise<Blob> {
    const response = await this.send("GET", `/v1/meetings/${encodeURIComponent(meetingId)}/invite.ics`, undefined);
    return response.blob();
  }

  private async request<T>(method: string, path: string, body: unknown, schema: z.ZodType<T>): Promise<T> {
    const response = await this.send(method, path, body);
    const parsed = schema.safeParse(await response.json().catch(() => null));
    if (!parsed.success) throw new ApiProblem(response.status, "unexpected_response", "The server answered with an unexpected body");
    return parsed.data;
  }

  /** The response when it is a success; otherwise its problem as an `ApiProblem`. */
  private async send(method: string, path: string, body: unknown): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(new URL(path, this.baseUrl), {
        method,
        credentials: "same-origin",
        headers: { ...this.authHeaders(method), ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch {
      throw new ApiProblem(0, "network_error", "The server could not be reached");
    }
    if (response.ok) return response;
    const problem = problemSchema.safeParse(await response.json().catch(() => null));
    if (problem.success)
      throw new ApiProblem(response.status, problem.data.code, problem.data.detail ?? problem.data.title ?? problem.data.code);
    throw new ApiProblem(response.status, "unexpected_response", `HTTP ${response.status}`);
  }

  private authHeaders(method: string): Record<string, string> {
    if (this.credentials.kind === "api_key") return { authorization: `Bearer ${this.credentials.apiKey}` };
    // The session cookie rides along on its own; a change also needs the token a cross-site page can't read.
    return method === "GET" || method === "HEAD" ? {} : { "x-csrf-token": this.credentials.csrfToken };
  }
}
