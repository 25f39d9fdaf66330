import { ASSERTION_FIELDS, ORIGIN_FIELDS } from "../origins/queries.js";

export const QUEUE = `query Queue($level: LineageLevel, $min: Float!, $max: Float!, $originId: ID) {
  reviewQueue(level: $level, minConfidence: $min, maxConfidence: $max, originId: $originId, first: 100) {
    totalCount tableEdgeCount fieldEdgeCount
    edges {
      id level confidence lineageSource transformationType createdBy
      upstream { __typename ... on Table { id qualifiedName } ... on Field { id name table { id qualifiedName } } }
      downstream { __typename ... on Table { id qualifiedName } ... on Field { id name table { id qualifiedName } } }
      ${ASSERTION_FIELDS}
    }
  }
}`;

export const ORIGINS = `query Origins($kind: OriginKind) {
  origins(kind: $kind, first: 100) { ${ORIGIN_FIELDS} }
}`;

export const ORIGIN = `query Origin($id: ID!) { origin(id: $id) { ${ORIGIN_FIELDS} } }`;

const REVIEWED = `__typename
    ... on OriginReviewSuccess { reviewedEdgeCount origin { ${ORIGIN_FIELDS} } }
    ... on UserError { code message field }`;

export const APPROVE_ORIGIN = `mutation ApproveOrigin($id: ID!, $comment: String) {
  approveOrigin(originId: $id, comment: $comment) { ${REVIEWED} }
}`;

export const REJECT_ORIGIN = `mutation RejectOrigin($id: ID!, $reason: String!) {
  rejectOrigin(originId: $id, reason: $reason) { ${REVIEWED} }
}`;

const TRUSTED = `__typename
    ... on OriginSuccess { origin { ${ORIGIN_FIELDS} } }
    ... on UserError { code message field }`;

export const TRUST_ORIGIN = `mutation TrustOrigin($id: ID!, $comment: String) {
  trustOrigin(originId: $id, comment: $comment) { ${TRUSTED} }
}`;

export const UNTRUST_ORIGIN = `mutation UntrustOrigin($id: ID!, $comment: String) {
  untrustOrigin(originId: $id, comment: $comment) { ${TRUSTED} }
}`;
