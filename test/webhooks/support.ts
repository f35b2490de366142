import { expect } from "vitest";
import type { DeliveryView } from "../../workers/webhooks/delivery-log.ts";
import { RoomClient } from "../support/room-client.ts";
import { api, createMeeting, mintToken } from "../support/stack.ts";

export interface CreatedEndpoint {
  id: string;
  signingSecret: string;
  [k: string]: unknown;
}

export async function createEndpoint(key: string, body: Record<string, unknown>): Promise<CreatedEndpoint> {
  const response = await api("/v1/webhook-endpoints", { key, body });
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as CreatedEndpoint;
}

export async function deliveries(key: string, query: Record<string, string> = {}): Promise<DeliveryView[]> {
  const response = await api(`/v1/webhook-deliveries?${new URLSearchParams({ limit: "100", ...query })}`, { key });
  expect(response.status).toBe(200);
  return ((await response.json()) as { data: DeliveryView[] }).data;
}

/** A meeting with three facts in its lane, in this order: meeting.started, participant.joined, participant.left. */
export async function meetingWithThreeFacts(key: string, title: string): Promise<string> {
  const meeting = await createMeeting(key, { title });
  const alice = await RoomClient.join((await mintToken(key, meeting.id, { identity: "alice", role: "host" })).connectUrl);
  const bob = await RoomClient.join((await mintToken(key, meeting.id, { identity: "bob", role: "guest" })).connectUrl);
  bob.close();
  await alice.next((f) => f.type === "participant_left" && f.identity === "bob");
  return meeting.id;
}

/** A meeting nobody joined, ended through the API: one fact (meeting.ended) in its own lane. */
export async function endedMeeting(key: string, title: string): Promise<string> {
  const meeting = await createMeeting(key, { title });
  expect((await api(`/v1/meetings/${meeting.id}/end`, { key, method: "POST" })).status).toBe(200);
  return meeting.id;
}

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
