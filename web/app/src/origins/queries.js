// What an origin and an edge's assertions look like wherever the front end shows them.
export const ORIGIN_FIELDS = `id kind key label trusted trustedBy trustedAt trustComment lastIngestedAt assertedEdgeCount pendingEdgeCount`;

export const ASSERTION_FIELDS = `assertions {
  origin { id kind label trusted }
  level transformationType confidence logic lastSeen
  evidence { key value }
}`;
