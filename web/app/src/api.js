// GraphQL over fetch (the GraphQL-over-HTTP media type) and subscriptions over
// graphql-transport-ws, signed in through connection_init. The token lives for the tab.
import { createClient } from "graphql-ws";

const TOKEN_KEY = "clew.token";
const USER_KEY = "clew.user";

export function session() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const user = sessionStorage.getItem(USER_KEY);
  return token && user ? { token, user: JSON.parse(user) } : null;
}

export function saveSession(token, user) {
  sessionStorage.setItem(TOKEN_KEY, token);
  sessionStorage.setItem(USER_KEY, JSON.stringify(user));
}

export function clearSession() {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(USER_KEY);
  closeSocket();
}

// Raised for an error the API reported; `message` is the API's own words.
export class ApiError extends Error {
  constructor(message, code, field) {
    super(message);
    this.code = code;
    this.field = field;
  }
}

const listeners = new Set();
// The shell listens, to go back to the sign-in screen when a token is refused.
export function onSignedOut(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function signedOut(message) {
  clearSession();
  listeners.forEach((l) => l(message));
}

async function post(body, headers) {
  const s = session();
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers: {
        Accept: "application/graphql-response+json, application/json;q=0.9",
        ...(s ? { Authorization: `Bearer ${s.token}` } : {}),
        ...headers,
      },
      body,
    });
  } catch {
    throw new ApiError("Clew cannot be reached: check that the server is running, then try again.", "NETWORK");
  }
  let payload;
  try {
    payload = await response.json();
  } catch {
    throw new ApiError(`Clew answered ${response.status} ${response.statusText} without a GraphQL result.`, "HTTP");
  }
  const first = payload.errors?.[0];
  if (first) {
    const code = first.extensions?.code;
    if (code === "UNAUTHENTICATED" && s) signedOut(first.message);
    const id = first.extensions?.requestId;
    throw new ApiError(id ? `${first.message} (request ${id})` : first.message, code, first.extensions?.field);
  }
  return payload.data;
}

export function gql(query, variables = {}) {
  return post(JSON.stringify({ query, variables }), { "Content-Type": "application/json" });
}

// The GraphQL multipart request spec: one file at variables.<path>.
export function gqlUpload(query, variables, path, file) {
  const form = new FormData();
  form.append("operations", JSON.stringify({ query, variables }));
  form.append("map", JSON.stringify({ 0: [`variables.${path}`] }));
  form.append("0", file, file.name);
  return post(form, {});
}

// A mutation's typed result: the success object, or an ApiError with the API's message.
export function unwrap(result) {
  if (result && "code" in result && "message" in result && !result.__typename?.endsWith("Success")) {
    throw new ApiError(result.message, result.code, result.field);
  }
  return result;
}

let client = null;
const socketListeners = new Set();
// Tells "connected" and "closed" of the live (subscription) connection.
export function onSocket(listener) {
  socketListeners.add(listener);
  return () => socketListeners.delete(listener);
}
let clientToken = null;

function socket() {
  const s = session();
  if (client && clientToken === s?.token) return client;
  closeSocket();
  clientToken = s?.token;
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`;
  client = createClient({
    url,
    lazy: true,
    connectionParams: () => ({ authorization: `Bearer ${session()?.token ?? ""}` }),
    retryAttempts: 3,
    on: {
      connected: () => socketListeners.forEach((l) => l("connected")),
      closed: () => socketListeners.forEach((l) => l("closed")),
    },
  });
  return client;
}

function closeSocket() {
  if (client) client.dispose();
  client = null;
}

// Resolves when an operation sent now over the live connection has been answered: sent after
// a subscribe, it tells (in practice) that the subscription is listening. graphql-transport-ws
// has no acknowledgement per subscription.
export function liveRoundTrip() {
  return new Promise((resolve, reject) => {
    let done = false;
    socket().subscribe({ query: "query LiveCheck { me { username } }" }, {
      next: () => { done = true; resolve(); },
      error: (e) => reject(new ApiError(e?.message || "The live connection to Clew was lost.")),
      complete: () => { if (!done) resolve(); },
    });
  });
}

// Calls onData with each result's data; returns a function that stops the subscription.
export function subscribe(query, variables, { onData, onError }) {
  return socket().subscribe(
    { query, variables },
    {
      next: (result) => {
        if (result.errors?.length) onError?.(new ApiError(result.errors[0].message, result.errors[0].extensions?.code));
        else onData(result.data);
      },
      error: (e) => onError?.(new ApiError(e?.message || (e?.reason ? `The live connection closed: ${e.reason}` : "The live connection to Clew was lost."))),
      complete: () => {},
    },
  );
}
