/** Version of the meeting-room WebSocket protocol: the client says it in `hello`, the room in `welcome`. */
export const protocolVersion = 1;
