// The view's state lives in the URL's hash (#/screen/id?key=value), so a link reopens the
// same picture and Clew serves one page.
import { useEffect, useState } from "react";

export function parseHash(hash = location.hash) {
  const [path, query = ""] = hash.replace(/^#\/?/, "").split("?");
  const [screen = "catalog", ...rest] = path.split("/").map(decodeURIComponent);
  return { screen: screen || "catalog", id: rest.join("/") || null, params: new URLSearchParams(query) };
}

export function href(screen, id, params) {
  const query = params ? new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== "")).toString() : "";
  return `#/${screen}${id ? "/" + encodeURIComponent(id) : ""}${query ? "?" + query : ""}`;
}

export function navigate(screen, id, params, { replace = false } = {}) {
  const target = href(screen, id, params);
  if (replace) history.replaceState(null, "", target);
  else history.pushState(null, "", target);
  window.dispatchEvent(new HashChangeEvent("hashchange"));
}

export function useRoute() {
  const [route, setRoute] = useState(() => parseHash());
  useEffect(() => {
    const update = () => setRoute(parseHash());
    window.addEventListener("hashchange", update);
    return () => window.removeEventListener("hashchange", update);
  }, []);
  return route;
}
