import type { RosterEntry } from "../../protocol/server-frames.ts";
import { h } from "./element-builder.ts";
import { icon } from "./icons.ts";
import type { RoomView } from "./room-view.ts";

/**
 * One tile per participant in the roster: the local camera mirrored, remote streams as they arrive, an
 * initials avatar while a camera is off, and name, muted and hand badges. Tiles are kept across renders so
 * a playing <video> is never recreated.
 */
export interface LocalPresence {
  audioMuted: boolean;
  videoMuted: boolean;
  handRaised: boolean;
}

interface Tile {
  element: HTMLElement;
  video: HTMLVideoElement;
  avatar: HTMLElement;
  name: HTMLElement;
  badges: HTMLElement;
}

export class VideoGrid {
  readonly element = h("section", { class: "video-grid", testid: "video-grid", attrs: { "aria-label": "Participants' video" } });
  private readonly tiles = new Map<string, Tile>();

  constructor(
    private readonly selfIdentity: string,
    private readonly localStream: MediaStream | null,
  ) {}

  render(view: RoomView, local: LocalPresence): void {
    const present = new Set(view.roster.map((entry) => entry.identity));
    for (const [identity, tile] of this.tiles) {
      if (!present.has(identity)) {
        tile.element.remove();
        this.tiles.delete(identity);
      }
    }
    for (const entry of view.roster) {
      const tile = this.tiles.get(entry.identity) ?? this.createTile(entry.identity);
      const isSelf = entry.identity === this.selfIdentity;
      // Our own toggles show at once; the roster copy lags by a round trip.
      const state = isSelf ? { ...entry, ...local } : entry;
      this.update(tile, entry, state, isSelf, view.spotlight === entry.identity);
      this.element.append(tile.element); // keeps roster order; moving an element does not restart its video
    }
    this.element.dataset["count"] = String(Math.min(view.roster.length, 5));
    this.element.classList.toggle("has-spotlight", view.spotlight !== null && present.has(view.spotlight));
  }

  attachStream(identity: string, stream: MediaStream): void {
    const tile = this.tiles.get(identity) ?? this.createTile(identity);
    if (tile.video.srcObject !== stream) tile.video.srcObject = stream;
  }

  /** The <video> of a remote participant's tile, once the roster has given them one (the SFU attaches to it). */
  videoFor(identity: string): HTMLVideoElement | null {
    return identity === this.selfIdentity ? null : (this.tiles.get(identity)?.video ?? null);
  }

  setPeerState(identity: string, state: RTCPeerConnectionState): void {
    const tile = this.tiles.get(identity);
    if (tile) tile.element.dataset["peerState"] = state;
  }

  private createTile(identity: string): Tile {
    const isSelf = identity === this.selfIdentity;
    const video = h("video", { class: isSelf ? "mirrored" : "", attrs: { autoplay: true, playsinline: true, muted: isSelf } });
    video.muted = isSelf; // the attribute alone does not mute a video created from script
    if (isSelf && this.localStream) video.srcObject = this.localStream;
    const avatar = h("div", { class: "avatar" });
    const name = h("span", { class: "tile-name" });
    const badges = h("span", { class: "tile-badges" });
    const element = h("figure", { class: "tile", testid: "video-tile", attrs: { "data-identity": identity } }, [
      video,
      avatar,
      h("figcaption", { class: "tile-label" }, [badges, name]),
    ]);
    // Until frames arrive (ICE still connecting) the tile shows the avatar rather than a black box.
    video.addEventListener("loadeddata", () => element.classList.add("has-video"));
    if (!isSelf) element.dataset["peerState"] = "new";
    const tile = { element, video, avatar, name, badges };
    this.tiles.set(identity, tile);
    return tile;
  }

  private update(tile: Tile, entry: RosterEntry, state: LocalPresence, isSelf: boolean, spotlit: boolean): void {
    const display = entry.name ?? entry.identity;
    tile.name.textContent = isSelf ? `${display} (you)` : display;
    tile.avatar.textContent = initials(display);
    const cameraOff = state.videoMuted || (isSelf && !this.localStream?.getVideoTracks().length);
    tile.element.classList.toggle("camera-off", cameraOff);
    tile.element.classList.toggle("spotlight", spotlit);
    tile.element.dataset["audioMuted"] = String(state.audioMuted);
    tile.element.dataset["handRaised"] = String(state.handRaised);
    tile.badges.replaceChildren(
      ...[
        state.handRaised ? icon("hand", "Hand raised") : null,
        state.audioMuted ? icon("micOff", "Muted") : null,
        spotlit ? icon("star", "Spotlight") : null,
      ].filter((badge): badge is HTMLSpanElement => badge !== null),
    );
  }
}

function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  return (words.length > 1 ? `${words[0]?.[0] ?? ""}${words.at(-1)?.[0] ?? ""}` : name.slice(0, 2)).toUpperCase();
}
