import { createApp } from "./api/app.ts";

/** Worker entry: the HTTP/WSS API and the Durable Object classes it binds. */
export { MeetingRoom } from "./meeting-room/shell/meeting-room.ts";
export default createApp();
