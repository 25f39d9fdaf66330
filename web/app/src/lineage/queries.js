import { ASSERTION_FIELDS } from "../origins/queries.js";

export const GRAPH = `query LineageGraph($rootId: ID!, $direction: Direction!, $depth: Int!, $includeRejected: Boolean!, $includeFields: Boolean!, $maxNodes: Int!) {
  lineageGraph(rootId: $rootId, direction: $direction, depth: $depth, maxNodes: $maxNodes, includeFields: $includeFields, filter: { includeRejected: $includeRejected }) {
    rootId truncated frontier
    nodes { id type label depth parentId hasMore hasMoreUpstream hasMoreDownstream data }
    edges { id source target level provenance confidence transformation reviewState implied }
  }
}`;

export const IMPACT = `query Impact($id: ID!, $changeType: ChangeType!) {
  impact(entityId: $id, changeType: $changeType) {
    truncated
    tables { id label distance severity }
    fields { id label distance severity }
  }
}`;

export const EDGE = `query Edge($id: ID!) {
  lineageEdge(id: $id) {
    id level lineageSource confidence transformationType transformationLogic description
    reviewState reviewedBy reviewedAt reviewComment implied createdBy createdAt
    upstream { __typename ... on Table { id qualifiedName } ... on Field { id name table { qualifiedName } } }
    downstream { __typename ... on Table { id qualifiedName } ... on Field { id name table { qualifiedName } } }
    ${ASSERTION_FIELDS}
  }
  history(entityId: $id, first: 20) { nodes { id action actor at comment } }
}`;

export const APPROVE = `mutation Approve($ids: [ID!]!, $comment: String) {
  approveLineage(ids: $ids, comment: $comment) {
    __typename
    ... on LineageChangeSuccess { results { outcome edge { id reviewState lineageSource confidence } } }
    ... on UserError { code message field }
  }
}`;

export const REJECT = `mutation Reject($ids: [ID!]!, $reason: String!) {
  rejectLineage(ids: $ids, reason: $reason) {
    __typename
    ... on LineageChangeSuccess { results { outcome edge { id reviewState lineageSource confidence } } }
    ... on UserError { code message field }
  }
}`;
