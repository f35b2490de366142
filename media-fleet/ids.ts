/** Branded ids of the media fleet, shared by configuration, placement and autoscaling. */
declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** A fleet region ("us-east"): the unit placement ranks and capacity is decided for. */
export type RegionId = Brand<string, "RegionId">;
/** One SFU node (a LiveKit node, or a LiveKit Cloud project). */
export type NodeId = Brand<string, "NodeId">;
