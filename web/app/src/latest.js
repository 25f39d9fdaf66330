import { useRef } from "react";

// Only the newest answer of each kind is shown: an answer to a view the user has already left
// (a slow one, overtaken by the next request of its kind) is dropped, never drawn over the
// view shown now. `const show = latest("queue"); gql(...).then(show(setQueue))`.
export function useLatest() {
  const asked = useRef({});
  return (kind = "") => {
    const n = (asked.current[kind] = (asked.current[kind] ?? 0) + 1);
    return (use) => (value) => { if (asked.current[kind] === n) use(value); };
  };
}
